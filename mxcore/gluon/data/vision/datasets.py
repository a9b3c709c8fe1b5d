"""Vision datasets read from local files: MNIST, FashionMNIST, CIFAR10, CIFAR100."""

__all__: list = []
