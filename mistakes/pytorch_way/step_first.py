"""optimizer.step(), then zero_grad(), then backward(): each step uses no gradient at all."""


def train_model(model, criterion, optimizer, loader, num_epochs):
    losses = []
    for epoch in range(num_epochs):
        for X, y in loader:
            y_hat = model(X)
            loss = criterion(y_hat, y)
            losses.append(loss.item())
            optimizer.step()
            optimizer.zero_grad()
            loss.backward()
    return losses
