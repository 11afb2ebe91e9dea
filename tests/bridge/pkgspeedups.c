/* The C half of the package `bridgepkg` (tests/bridge/test_bridge.py):
 * bridgepkg/__init__.py, run on RustPython, imports this module, which
 * imports its package's Python code (bridgepkg.helpers) from C. */
#include <Python.h>

static PyObject *shout(PyObject *self, PyObject *s)
{
    PyObject *helpers = PyImport_ImportModule("bridgepkg.helpers");
    if (helpers == NULL)
        return NULL;
    PyObject *r = PyObject_CallMethod(helpers, "upper", "O", s);
    Py_DECREF(helpers);
    return r;
}

static PyMethodDef methods[] = {{"shout", shout, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
