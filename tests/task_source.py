"""Source that tests' tiny task files share: these tasks run in lrtui's worker processes, so each file
holds its own copy of this text rather than an import of the tests."""

COMMON = '''
import torch
from torch import nn


def data(seed=0, n=20):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()   # three classes


def batches(x, y, size=4):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


class Raising:
    """Serves `items`; fetching batch `at` (counted over the whole run, from 0) raises RuntimeError(message)."""

    def __init__(self, items, at, message):
        self.items, self.at, self.message, self.served = items, at, message, 0

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        for item in self.items:
            if self.served == self.at:
                raise RuntimeError(self.message)
            self.served += 1
            yield item
'''
