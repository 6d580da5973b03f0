"""Each item as two floats, not two tensors of shape (1,)."""
from torch.utils.data import Dataset


class LinearData(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return float(self.X[i]), float(self.y[i])
