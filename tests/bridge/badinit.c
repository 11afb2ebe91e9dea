/* An extension whose initialisation fails (tests/bridge/test_bridge.py). */
#include <Python.h>

PyMODINIT_FUNC PyInit_badinit(void)
{
    PyErr_SetString(PyExc_RuntimeError, "badinit fails on purpose");
    return NULL;
}
