"""optimizer.zero_grad() never called: the gradients add up from batch to batch."""


def train_model(model, criterion, optimizer, loader, num_epochs):
    losses = []
    for epoch in range(num_epochs):
        for X, y in loader:
            y_hat = model(X)
            loss = criterion(y_hat, y)
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
    return losses
