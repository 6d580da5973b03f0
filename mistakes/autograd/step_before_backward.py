"""optimizer.step() before loss.backward(): each step uses no gradient, or the last iteration's."""
from torch import nn, optim


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    x, y = x.view(-1, 1), y.view(-1, 1)
    loss_fn = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(model.parameters(), lr=lr)
    losses, history = [], []
    for i in range(num_iterations):
        optimizer.zero_grad()
        y_hat = model(x)
        loss = loss_fn(y_hat, y)
        losses.append(loss.item())
        history.append(model.weight.item())
        optimizer.step()
        loss.backward()
    return Fit(model.weight.item(), losses, history)
