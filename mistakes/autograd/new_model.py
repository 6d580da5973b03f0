"""A new model trained inside train_nn, not the one given."""
from torch import nn, optim


def train_nn(x, y, model, lr=0.001, num_iterations=100):
    model = nn.Linear(1, 1, bias=False)
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
        loss.backward()
        optimizer.step()
    return Fit(model.weight.item(), losses, history)
