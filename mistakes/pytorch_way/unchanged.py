"""New tensors put in the state_dict (or bound to names): the model's own parameters left as they were."""
import torch


def set_parameters(model, w, b):
    model.state_dict()["linear.weight"] = torch.tensor([[float(w)]])
    model.state_dict()["linear.bias"] = torch.tensor([float(b)])
