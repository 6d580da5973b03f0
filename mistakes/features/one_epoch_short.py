"""One epoch fewer than num_epochs: range(num_epochs - 1), or range(1, num_epochs)."""
import numpy as np
import torch
from torch import nn


def train_torch(model, X, Y, lr=1e-4, num_epochs=500):
    criterion = nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(num_epochs - 1):
        y_hat = model(X)
        loss = criterion(y_hat, Y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def gd_numpy(X1, Y, lr=1e-4, num_epochs=1000):
    n = X1.shape[0]
    par = np.zeros((X1.shape[1], 1))
    losses = []
    for epoch in range(1, num_epochs):
        e = X1.dot(par) - Y
        losses.append(np.mean(e ** 2))
        grad = (2 / n) * X1.T.dot(e)
        par = par - lr * grad
    return par, losses
