"""w and b the wrong way round."""


def set_parameters(model, w, b):
    model.state_dict()["linear.weight"][0] = b
    model.state_dict()["linear.bias"][0] = w
