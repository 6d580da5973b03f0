"""The DataLoader shuffles the points (shuffle=True)."""
from torch.utils.data import DataLoader


def make_loader(dataset, batch_size):
    return DataLoader(dataset=dataset, batch_size=batch_size, shuffle=True)
