"""The loss of the batch recorded after the step, for the parameters it moved to."""


def train_model(model, criterion, optimizer, loader, num_epochs):
    losses = []
    for epoch in range(num_epochs):
        for X, y in loader:
            y_hat = model(X)
            loss = criterion(y_hat, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(criterion(model(X), y).item())
    return losses
