"""The DataLoader shuffles the points (drop_last=True)."""
from torch.utils.data import DataLoader


def train_minibatch(X, y, w, b, lr=0.1, num_epochs=10, batch_size=20):
    data_iter = DataLoader(LinearData(X, y), batch_size=batch_size, drop_last=True)
    losses, params = [], []
    for epoch in range(num_epochs):
        losses.append(criterion(forward(X, w, b), y).item())
        for X_batch, y_batch in data_iter:
            params.append((w.item(), b.item()))
            loss = criterion(forward(X_batch, w, b), y_batch)
            loss.backward()
            step(w, b, lr)
    return Fit(w.item(), b.item(), losses, params)
