/* The array type of bench/rust/hpyext (piconumpy's 1-D float array) written
   against the CPython C API, the baseline of the Runge-Kutta case in
   bench/rust_authors.py: array(list), array * float, float * array,
   array / float, array + array, a[i], len(a). Built by the benchmark for
   the CPython it runs on. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
    double *data;
} ArrayObject;

static PyTypeObject ArrayType;

static ArrayObject *array_empty(Py_ssize_t size)
{
    ArrayObject *a = PyObject_New(ArrayObject, &ArrayType);
    if (a == NULL)
        return NULL;
    a->size = size;
    a->data = PyMem_Malloc((size ? size : 1) * sizeof(double));
    if (a->data == NULL) {
        Py_DECREF(a);
        return (ArrayObject *)PyErr_NoMemory();
    }
    return a;
}

static void array_dealloc(ArrayObject *a)
{
    PyMem_Free(a->data);
    PyObject_Free(a);
}

static PyObject *array_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    PyObject *list;
    if (kw != NULL && PyDict_GET_SIZE(kw) != 0) {
        PyErr_SetString(PyExc_TypeError, "array() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!:array", &PyList_Type, &list))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    ArrayObject *a = array_empty(n);
    if (a == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        a->data[i] = PyFloat_AsDouble(PyList_GET_ITEM(list, i));
        if (a->data[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(a);
            return NULL;
        }
    }
    return (PyObject *)a;
}

/* array * k or array / k; NotImplemented unless one operand is an array
   and the other a number. */
static PyObject *scale(PyObject *x, PyObject *y, int divide)
{
    ArrayObject *a;
    PyObject *k;
    if (PyObject_TypeCheck(x, &ArrayType)) {
        a = (ArrayObject *)x;
        k = y;
    } else if (!divide && PyObject_TypeCheck(y, &ArrayType)) {
        a = (ArrayObject *)y;
        k = x;
    } else {
        Py_RETURN_NOTIMPLEMENTED;
    }
    double f = PyFloat_AsDouble(k);
    if (f == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        Py_RETURN_NOTIMPLEMENTED;
    }
    ArrayObject *r = array_empty(a->size);
    if (r == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < a->size; i++)
        r->data[i] = divide ? a->data[i] / f : a->data[i] * f;
    return (PyObject *)r;
}

static PyObject *array_multiply(PyObject *x, PyObject *y) { return scale(x, y, 0); }
static PyObject *array_divide(PyObject *x, PyObject *y) { return scale(x, y, 1); }

static PyObject *array_add(PyObject *x, PyObject *y)
{
    if (!PyObject_TypeCheck(x, &ArrayType) || !PyObject_TypeCheck(y, &ArrayType))
        Py_RETURN_NOTIMPLEMENTED;
    ArrayObject *a = (ArrayObject *)x, *b = (ArrayObject *)y;
    if (a->size != b->size) {
        PyErr_SetString(PyExc_ValueError, "shapes differ");
        return NULL;
    }
    ArrayObject *r = array_empty(a->size);
    if (r == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < a->size; i++)
        r->data[i] = a->data[i] + b->data[i];
    return (PyObject *)r;
}

static Py_ssize_t array_length(ArrayObject *a) { return a->size; }

static PyObject *array_item(ArrayObject *a, Py_ssize_t i)
{
    if (i < 0 || i >= a->size) {
        PyErr_SetString(PyExc_IndexError, "index out of range");
        return NULL;
    }
    return PyFloat_FromDouble(a->data[i]);
}

static PyNumberMethods array_as_number = {
    .nb_add = array_add,
    .nb_multiply = array_multiply,
    .nb_true_divide = array_divide,
};

static PySequenceMethods array_as_sequence = {
    .sq_length = (lenfunc)array_length,
    .sq_item = (ssizeargfunc)array_item,
};

static PyTypeObject ArrayType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rbench_capi.array",
    .tp_basicsize = sizeof(ArrayObject),
    .tp_dealloc = (destructor)array_dealloc,
    .tp_as_number = &array_as_number,
    .tp_as_sequence = &array_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = array_new,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "rbench_capi", NULL, -1, NULL};

PyMODINIT_FUNC PyInit_rbench_capi(void)
{
    if (PyType_Ready(&ArrayType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ArrayType);
    if (PyModule_AddObject(m, "array", (PyObject *)&ArrayType) < 0) {
        Py_DECREF(&ArrayType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
