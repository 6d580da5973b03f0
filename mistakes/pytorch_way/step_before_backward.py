"""optimizer.step() before loss.backward(): each step uses the gradient of the batch before."""


def train_model(model, criterion, optimizer, loader, num_epochs):
    losses = []
    for epoch in range(num_epochs):
        for X, y in loader:
            y_hat = model(X)
            loss = criterion(y_hat, y)
            losses.append(loss.item())
            optimizer.zero_grad()
            optimizer.step()
            loss.backward()
    return losses
