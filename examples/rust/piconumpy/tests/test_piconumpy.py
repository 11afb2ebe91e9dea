"""The array type's behaviour, run on any interpreter with an HPy runtime."""
import math

import pytest

from piconumpy_hpy import array, zeros


def test_from_list_len_index():
    a = array([1.0, 2.0, 3.5])
    assert len(a) == 3 and a.size == 3
    assert a[0] == 1.0 and a[2] == 3.5 and a[-1] == 3.5
    assert a.tolist() == [1.0, 2.0, 3.5]
    assert repr(a) == "array([1.0, 2.0, 3.5])"
    with pytest.raises(IndexError):
        a[3]
    with pytest.raises(IndexError):
        a[-4]


def test_ints_convert_and_bad_items_raise():
    assert array([1, 2]).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError):
        array(["x"])
    with pytest.raises(TypeError):
        array(3)


def test_arithmetic():
    a = array([1.0, 2.0])
    b = array([10.0, 20.0])
    assert (a * 2).tolist() == [2.0, 4.0]
    assert (2 * a).tolist() == [2.0, 4.0]
    assert (a / 4).tolist() == [0.25, 0.5]
    assert (a + b).tolist() == [11.0, 22.0]
    assert (b - a).tolist() == [9.0, 18.0]
    assert (-a).tolist() == [-1.0, -2.0]
    with pytest.raises(ValueError):
        a + array([1.0])
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(TypeError):
        a * "x"


def test_setitem_and_zeros():
    z = zeros(3)
    z[1] = 5
    assert z.tolist() == [0.0, 5.0, 0.0]
    with pytest.raises(TypeError):
        del z[0]


def test_subclass_refused_and_no_new_from_object():
    with pytest.raises(TypeError):
        class Sub(array):
            pass


def runge_kutta_step(f, x0, dt, t=None):
    k1 = f(t, x0) * dt
    k2 = f(t, x0 + k1 / 2) * dt
    k3 = f(t, x0 + k2 / 2) * dt
    k4 = f(t, x0 + k3) * dt
    return x0 + (k1 + 2 * k2 + 2 * k3 + k4) / 6


def test_runge_kutta_lorenz_stays_finite():
    def lorenz(t, u, sigma=10.0, rho=28.0, beta=8 / 3):
        x, y, z = u[0], u[1], u[2]
        return array([sigma * (y - x), rho * x - y - x * z, x * y - beta * z])

    u = array([1.0, 0.0, 0.0])
    for _ in range(1000):
        u = runge_kutta_step(lorenz, u, 0.01)
    assert all(math.isfinite(v) for v in u.tolist())
    assert abs(u[2]) > 1.0
