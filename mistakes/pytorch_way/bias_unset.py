"""The bias left unset."""


def set_parameters(model, w, b):
    model.state_dict()["linear.weight"][0] = w
