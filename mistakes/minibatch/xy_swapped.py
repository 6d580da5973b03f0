"""Each item as (y, x)."""
from torch.utils.data import Dataset


class LinearData(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.y[i], self.X[i]
