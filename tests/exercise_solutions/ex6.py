"""Exercise 6 answers for the tests (not shipped): op definitions of sin, right and wrong."""

import math


class Sin:
    name = "sin"

    def forward(self, xp, a):
        return xp.sin(a)

    def dL_da(self, xp, g, a, out):
        return g * xp.cos(a)


class NoChain(Sin):  # dL/d(out) forgotten
    def dL_da(self, xp, g, a, out):
        return xp.cos(a)


class Minus(Sin):
    def dL_da(self, xp, g, a, out):
        return -g * xp.cos(a)


class OutputInstead(Sin):  # the output, not its slope
    def dL_da(self, xp, g, a, out):
        return g * out


class SlopeOfCos(Sin):
    def dL_da(self, xp, g, a, out):
        return -g * xp.sin(a)


class Degrees(Sin):
    def forward(self, xp, a):
        return xp.sin(a * math.pi / 180.0)


class MathCos(Sin):  # right on a float, but math.cos cannot take a Tensor's array
    def dL_da(self, xp, g, a, out):
        return g * math.cos(a)


class InfSlope(Sin):  # an answer that is not a number must never pass
    def dL_da(self, xp, g, a, out):
        return g * math.inf


class NanForward(Sin):
    def forward(self, xp, a):
        return a * math.nan


class Renamed(Sin):
    name = "sine"


class DegreesAndMinus(Degrees):  # two slips at once: both are named
    def dL_da(self, xp, g, a, out):
        return -g * xp.cos(a)
