"""A new model trained, not the one given."""
import torch
from torch import nn


def train_torch(model, X, Y, lr=1e-4, num_epochs=500):
    model = nn.Linear(3, 1)
    criterion = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs):
        y_hat = model(X)
        loss = criterion(y_hat, Y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses
