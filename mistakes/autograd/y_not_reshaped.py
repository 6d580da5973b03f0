"""y left of shape (N,) while y_hat is (N, 1): the loss broadcasts to an (N, N) grid of differences."""
from torch import nn, optim


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    x = x.view(-1, 1)
    loss_fn = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, history = [], []
    for i in range(num_iterations):
        optimizer.zero_grad()
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        losses.append(loss.item())
        history.append(model.weight.item())
        loss.backward()
        optimizer.step()
    return Fit(model.weight.item(), losses, history)
