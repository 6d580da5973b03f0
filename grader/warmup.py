"""Imported by the fork server: touch what the exercises use, so that torch's, NumPy's and
matplotlib's lazy imports and first-call set-up happen once here, not in every child."""
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn, optim  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

np.random.seed(0)
np.random.default_rng(0).random(3)
np.linalg.lstsq(np.eye(2), np.ones(2), rcond=None)
X = torch.arange(-3, 3, 0.5).view(-1, 1)
model = nn.Linear(1, 1)
optimizer = optim.SGD(model.parameters(), lr=0.1)
for X_batch, y_batch in DataLoader(TensorDataset(X, 2 * X), batch_size=4, shuffle=True):
    loss = nn.MSELoss()(model(X_batch), y_batch) + nn.functional.mse_loss(model(X_batch), y_batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
torch.tensor(1.0, dtype=torch.float64).numpy()
fig = plt.figure()
ax = fig.add_subplot(1, 2, 1)
W, B = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
ax.contour(W, B, W ** 2 + B ** 2)
ax.contourf(W, B, W ** 2 + B ** 2)
ax.plot([0, 1], [1, 0], "rx-", label="line")
ax.scatter([0, 1], [1, 0])
ax.legend()
ax.set_xlabel("x")
ax.set_title("t")
ax3d = fig.add_subplot(1, 2, 2, projection="3d")
ax3d.plot_surface(W, B, W * B)
ax3d.plot_wireframe(W, B, W * B)
fig.savefig(io.BytesIO(), format="png")
plt.close("all")
