/* A CPython 3.11 C-API extension for the bridge's own tests
 * (tests/bridge/test_bridge.py, run on lichen-rustpython): it calls back
 * into the objects it is given, keeps them, and checks them with the
 * concrete-type API, as real extensions do. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>

static PyObject *kept = NULL;

/* call_method(obj, name, *args): obj.name(*args), called from C. */
static PyObject *call_method(PyObject *self, PyObject *args)
{
    if (PyTuple_GET_SIZE(args) < 2) {
        PyErr_SetString(PyExc_TypeError, "call_method(obj, name, *args)");
        return NULL;
    }
    PyObject *method = PyObject_GetAttr(PyTuple_GET_ITEM(args, 0), PyTuple_GET_ITEM(args, 1));
    if (method == NULL)
        return NULL;
    PyObject *rest = PyTuple_GetSlice(args, 2, PyTuple_GET_SIZE(args));
    PyObject *result = rest ? PyObject_Call(method, rest, NULL) : NULL;
    Py_XDECREF(rest);
    Py_DECREF(method);
    return result;
}

/* call_kw(f, args, kwargs): f(*args, **kwargs), called from C. */
static PyObject *call_kw(PyObject *self, PyObject *args)
{
    PyObject *f, *pos, *kw;
    if (!PyArg_ParseTuple(args, "OO!O!", &f, &PyTuple_Type, &pos, &PyDict_Type, &kw))
        return NULL;
    return PyObject_Call(f, pos, kw);
}

/* What a thread started by call_in_new_thread does and gets. */
struct thread_call {
    PyObject *f, *result, *type, *value, *traceback;
};

static void *thread_call_run(void *arg)
{
    struct thread_call *c = arg;
    PyGILState_STATE state = PyGILState_Ensure();
    c->result = PyObject_CallNoArgs(c->f);
    if (c->result == NULL)
        PyErr_Fetch(&c->type, &c->value, &c->traceback);
    PyGILState_Release(state);
    return NULL;
}

/* call_in_new_thread(f): calls f() from a thread C starts (one RustPython
 * never entered CPython from), as a C library's worker thread calls a
 * Python callback; returns its result or raises its exception. */
static PyObject *call_in_new_thread(PyObject *self, PyObject *f)
{
    struct thread_call c = {f, NULL, NULL, NULL, NULL};
    pthread_t thread;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pthread_create(&thread, NULL, thread_call_run, &c);
    if (rc == 0)
        pthread_join(thread, NULL);
    Py_END_ALLOW_THREADS
    if (rc != 0) {
        PyErr_SetString(PyExc_RuntimeError, "pthread_create failed");
        return NULL;
    }
    if (c.result == NULL) {
        PyErr_Restore(c.type, c.value, c.traceback);
        return NULL;
    }
    return c.result;
}

/* call_n(f, n): calls f(i) for i in range(n), returns the sum of results. */
static PyObject *call_n(PyObject *self, PyObject *args)
{
    PyObject *f;
    long n, total = 0;
    if (!PyArg_ParseTuple(args, "Ol", &f, &n))
        return NULL;
    for (long i = 0; i < n; i++) {
        PyObject *r = PyObject_CallFunction(f, "l", i);
        if (r == NULL)
            return NULL;
        total += PyLong_AsLong(r);
        Py_DECREF(r);
        if (PyErr_Occurred())
            return NULL;
    }
    return PyLong_FromLong(total);
}

static PyObject *twice(PyObject *self, PyObject *x)
{
    return PyNumber_Add(x, x);
}

static PyObject *keep(PyObject *self, PyObject *x)
{
    Py_XSETREF(kept, Py_NewRef(x));
    Py_RETURN_NONE;
}

static PyObject *get_kept(PyObject *self, PyObject *unused)
{
    return Py_NewRef(kept ? kept : Py_None);
}

static PyObject *drop_kept(PyObject *self, PyObject *unused)
{
    Py_CLEAR(kept);
    Py_RETURN_NONE;
}

static PyObject *identity(PyObject *self, PyObject *x)
{
    return Py_NewRef(x);
}

/* deepcopy(x): copy.deepcopy(x), made in CPython: containers that only the
   result references (unless x shares or cycles). */
static PyObject *deepcopy(PyObject *self, PyObject *x)
{
    PyObject *copy = PyImport_ImportModule("copy");
    if (copy == NULL)
        return NULL;
    PyObject *r = PyObject_CallMethod(copy, "deepcopy", "O", x);
    Py_DECREF(copy);
    return r;
}

/* view_of(x): memoryview(x), made in C. */
static PyObject *view_of(PyObject *self, PyObject *x)
{
    return PyMemoryView_FromObject(x);
}

static PyObject *type_name(PyObject *self, PyObject *x)
{
    return PyUnicode_FromString(Py_TYPE(x)->tp_name);
}

/* kinds(x): which concrete-type checks x passes. */
static PyObject *kinds(PyObject *self, PyObject *x)
{
    return Py_BuildValue("{s:O,s:O,s:O,s:O,s:O,s:O,s:O}",
        "list", PyList_CheckExact(x) ? Py_True : Py_False,
        "tuple", PyTuple_CheckExact(x) ? Py_True : Py_False,
        "dict", PyDict_CheckExact(x) ? Py_True : Py_False,
        "int", PyLong_CheckExact(x) ? Py_True : Py_False,
        "str", PyUnicode_CheckExact(x) ? Py_True : Py_False,
        "callable", PyCallable_Check(x) ? Py_True : Py_False,
        "iterable", PyIter_Check(x) || Py_TYPE(x)->tp_iter ? Py_True : Py_False);
}

/* sum_iter(x): the sum of iterating x from C. */
static PyObject *sum_iter(PyObject *self, PyObject *x)
{
    PyObject *it = PyObject_GetIter(x), *item, *total = PyLong_FromLong(0);
    if (it == NULL) {
        Py_DECREF(total);
        return NULL;
    }
    while ((item = PyIter_Next(it)) != NULL) {
        Py_SETREF(total, PyNumber_Add(total, item));
        Py_DECREF(item);
        if (total == NULL)
            break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        Py_XDECREF(total);
        return NULL;
    }
    return total;
}

static PyObject *length(PyObject *self, PyObject *x)
{
    Py_ssize_t n = PyObject_Length(x);
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *getitem(PyObject *self, PyObject *args)
{
    PyObject *o, *k;
    if (!PyArg_ParseTuple(args, "OO", &o, &k))
        return NULL;
    return PyObject_GetItem(o, k);
}

static PyObject *hash_of(PyObject *self, PyObject *x)
{
    Py_hash_t h = PyObject_Hash(x);
    return h == -1 ? NULL : PyLong_FromSsize_t(h);
}

static PyObject *less(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "OO", &a, &b))
        return NULL;
    return PyObject_RichCompare(a, b, Py_LT);
}

static PyObject *is_instance(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "OO", &a, &b))
        return NULL;
    int r = PyObject_IsInstance(a, b);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

/* raise_(cls, *args): raises cls(*args) from C. */
static PyObject *raise_(PyObject *self, PyObject *args)
{
    PyObject *cls = PyTuple_GET_ITEM(args, 0);
    PyObject *rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
    PyObject *exc = rest ? PyObject_Call(cls, rest, NULL) : NULL;
    Py_XDECREF(rest);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* catch(f): calls f(); returns the exception it raised (or None). */
static PyObject *catch(PyObject *self, PyObject *f)
{
    PyObject *r = PyObject_CallNoArgs(f);
    if (r != NULL) {
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
}

/* raise_chained(outer, inner, explicit): raises outer("outer") chained to
 * inner("inner"), both made in C: as its __cause__ if explicit (raise ...
 * from ...), else as its __context__. */
static PyObject *raise_chained(PyObject *self, PyObject *args)
{
    PyObject *outer_cls, *inner_cls;
    int explicit_;
    if (!PyArg_ParseTuple(args, "OOp", &outer_cls, &inner_cls, &explicit_))
        return NULL;
    PyObject *inner = PyObject_CallFunction(inner_cls, "s", "inner");
    if (inner == NULL)
        return NULL;
    PyObject *outer = PyObject_CallFunction(outer_cls, "s", "outer");
    if (outer == NULL) {
        Py_DECREF(inner);
        return NULL;
    }
    if (explicit_)
        PyException_SetCause(outer, inner);
    else
        PyException_SetContext(outer, inner);
    PyErr_SetObject((PyObject *)Py_TYPE(outer), outer);
    Py_DECREF(outer);
    return NULL;
}

/* chain_of(f): calls f(); for the exception it raised, what C sees of its
 * chain: (str of __cause__ or None, str of __context__ or None,
 * __suppress_context__). */
static PyObject *chain_of(PyObject *self, PyObject *f)
{
    PyObject *v = catch(self, f);
    if (v == NULL || v == Py_None)
        return v;
    PyObject *cause = PyException_GetCause(v);
    PyObject *context = PyException_GetContext(v);
    PyObject *suppress = PyObject_GetAttrString(v, "__suppress_context__");
    PyObject *result = NULL;
    if (suppress != NULL)
        result = Py_BuildValue("(NNO)", cause ? PyObject_Str(cause) : Py_NewRef(Py_None),
                               context ? PyObject_Str(context) : Py_NewRef(Py_None), suppress);
    Py_XDECREF(cause);
    Py_XDECREF(context);
    Py_XDECREF(suppress);
    Py_DECREF(v);
    return result;
}

static PyObject *import_(PyObject *self, PyObject *name)
{
    return PyImport_Import(name);
}

/* append_each(l1, ..., ln, item): appends item to each list, as a C
 * function mutating the lists it is given does. */
static PyObject *append_each(PyObject *self, PyObject *args)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n < 1) {
        PyErr_SetString(PyExc_TypeError, "append_each(*lists, item)");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n - 1; i++) {
        if (PyList_Append(PyTuple_GET_ITEM(args, i), PyTuple_GET_ITEM(args, n - 1)) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* append_at(container, key, item): container[key].append(item) through
 * the concrete list API. */
static PyObject *append_at(PyObject *self, PyObject *args)
{
    PyObject *container, *key, *item;
    if (!PyArg_ParseTuple(args, "OOO", &container, &key, &item))
        return NULL;
    PyObject *list = PyObject_GetItem(container, key);
    if (list == NULL)
        return NULL;
    int r = PyList_Check(list) ? PyList_Append(list, item) : (PyErr_SetString(PyExc_TypeError, "not a list"), -1);
    Py_DECREF(list);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* set_key(dict, key, value): PyDict_SetItem. */
static PyObject *set_key(PyObject *self, PyObject *args)
{
    PyObject *d, *k, *v;
    if (!PyArg_ParseTuple(args, "O!OO", &PyDict_Type, &d, &k, &v) || PyDict_SetItem(d, k, v) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* add_to_set(set, item): PySet_Add. */
static PyObject *add_to_set(PyObject *self, PyObject *args)
{
    PyObject *s, *item;
    if (!PyArg_ParseTuple(args, "O!O", &PySet_Type, &s, &item) || PySet_Add(s, item) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* fill(buffer=, byte): fills a bytearray in place, as readinto does;
 * returns the number of bytes written. */
static PyObject *fill(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"buffer", "byte", NULL};
    PyObject *b;
    int byte;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!i", names, &PyByteArray_Type, &b, &byte))
        return NULL;
    memset(PyByteArray_AS_STRING(b), byte, PyByteArray_GET_SIZE(b));
    return PyLong_FromSsize_t(PyByteArray_GET_SIZE(b));
}

/* fill_buffer(obj, byte): sets every byte of obj's writable buffer, as
 * readinto does; returns its length. */
static PyObject *fill_buffer(PyObject *self, PyObject *args)
{
    PyObject *obj;
    int byte;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Oi", &obj, &byte))
        return NULL;
    if (PyObject_GetBuffer(obj, &view, PyBUF_WRITABLE) < 0)
        return NULL;
    memset(view.buf, byte, view.len);
    Py_ssize_t n = view.len;
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(n);
}

/* append_then_raise(list, item): appends, then raises ValueError. */
static PyObject *append_then_raise(PyObject *self, PyObject *args)
{
    PyObject *l, *item;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &l, &item) || PyList_Append(l, item) < 0)
        return NULL;
    PyErr_SetString(PyExc_ValueError, "raised after appending");
    return NULL;
}

/* is_same(a, b): whether C was given one object twice. */
static PyObject *is_same(PyObject *self, PyObject *args)
{
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "OO", &a, &b))
        return NULL;
    return PyBool_FromLong(a == b);
}

/* same_items(a, i, b, j): whether a[i] is b[j] in C. */
static PyObject *same_items(PyObject *self, PyObject *args)
{
    PyObject *a, *i, *b, *j;
    if (!PyArg_ParseTuple(args, "OOOO", &a, &i, &b, &j))
        return NULL;
    PyObject *x = PyObject_GetItem(a, i);
    PyObject *y = x ? PyObject_GetItem(b, j) : NULL;
    PyObject *r = y ? PyBool_FromLong(x == y) : NULL;
    Py_XDECREF(x);
    Py_XDECREF(y);
    return r;
}

static PyObject *new_point(PyObject *self, PyObject *args);

static PyMethodDef methods[] = {
    {"call_method", call_method, METH_VARARGS, NULL},
    {"call_n", call_n, METH_VARARGS, NULL},
    {"call_kw", call_kw, METH_VARARGS, NULL},
    {"call_in_new_thread", call_in_new_thread, METH_O, NULL},
    {"twice", twice, METH_O, NULL},
    {"keep", keep, METH_O, NULL},
    {"get_kept", get_kept, METH_NOARGS, NULL},
    {"drop_kept", drop_kept, METH_NOARGS, NULL},
    {"identity", identity, METH_O, NULL},
    {"raise_chained", raise_chained, METH_VARARGS, NULL},
    {"chain_of", chain_of, METH_O, NULL},
    {"deepcopy", deepcopy, METH_O, NULL},
    {"view_of", view_of, METH_O, NULL},
    {"fill_buffer", fill_buffer, METH_VARARGS, NULL},
    {"type_name", type_name, METH_O, NULL},
    {"kinds", kinds, METH_O, NULL},
    {"sum_iter", sum_iter, METH_O, NULL},
    {"length", length, METH_O, NULL},
    {"getitem", getitem, METH_VARARGS, NULL},
    {"hash_of", hash_of, METH_O, NULL},
    {"less", less, METH_VARARGS, NULL},
    {"is_instance", is_instance, METH_VARARGS, NULL},
    {"raise_", raise_, METH_VARARGS, NULL},
    {"catch", catch, METH_O, NULL},
    {"import_", import_, METH_O, NULL},
    {"append_each", append_each, METH_VARARGS, NULL},
    {"append_at", append_at, METH_VARARGS, NULL},
    {"set_key", set_key, METH_VARARGS, NULL},
    {"add_to_set", add_to_set, METH_VARARGS, NULL},
    {"fill", (PyCFunction)(void (*)(void))fill, METH_VARARGS | METH_KEYWORDS, NULL},
    {"append_then_raise", append_then_raise, METH_VARARGS, NULL},
    {"is_same", is_same, METH_VARARGS, NULL},
    {"same_items", same_items, METH_VARARGS, NULL},
    {"Point", new_point, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}
};

/* Point: a small C type with number, sequence and comparison slots. */
typedef struct {
    PyObject_HEAD
    long x, y;
} Point;

static PyTypeObject PointType;

static PyObject *point_make(long x, long y)
{
    Point *p = PyObject_New(Point, &PointType);
    if (p != NULL) {
        p->x = x;
        p->y = y;
    }
    return (PyObject *)p;
}

static PyObject *new_point(PyObject *self, PyObject *args)
{
    long x, y;
    if (!PyArg_ParseTuple(args, "ll", &x, &y))
        return NULL;
    return point_make(x, y);
}

static PyObject *point_new(PyTypeObject *t, PyObject *args, PyObject *kw)
{
    long x, y;
    if (!PyArg_ParseTuple(args, "ll", &x, &y))
        return NULL;
    Point *p = (Point *)t->tp_alloc(t, 0);
    if (p != NULL) {
        p->x = x;
        p->y = y;
    }
    return (PyObject *)p;
}

static PyObject *point_add(PyObject *a, PyObject *b)
{
    if (!PyObject_TypeCheck(a, &PointType) || !PyObject_TypeCheck(b, &PointType))
        Py_RETURN_NOTIMPLEMENTED;
    return point_make(((Point *)a)->x + ((Point *)b)->x, ((Point *)a)->y + ((Point *)b)->y);
}

static Py_ssize_t point_len(PyObject *p)
{
    return 2;
}

static PyObject *point_item(PyObject *p, Py_ssize_t i)
{
    if (i < 0 || i > 1) {
        PyErr_SetString(PyExc_IndexError, "Point index out of range");
        return NULL;
    }
    return PyLong_FromLong(i == 0 ? ((Point *)p)->x : ((Point *)p)->y);
}

static PyObject *point_richcompare(PyObject *a, PyObject *b, int op)
{
    if (!PyObject_TypeCheck(b, &PointType) || (op != Py_EQ && op != Py_NE))
        Py_RETURN_NOTIMPLEMENTED;
    int eq = ((Point *)a)->x == ((Point *)b)->x && ((Point *)a)->y == ((Point *)b)->y;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t point_hash(PyObject *p)
{
    return ((Point *)p)->x * 1000003 + ((Point *)p)->y;
}

static PyObject *point_repr(PyObject *p)
{
    return PyUnicode_FromFormat("Point(%ld, %ld)", ((Point *)p)->x, ((Point *)p)->y);
}

static PyObject *point_norm1(PyObject *p, PyObject *unused)
{
    return PyLong_FromLong(labs(((Point *)p)->x) + labs(((Point *)p)->y));
}

static PyMethodDef point_methods[] = {
    {"norm1", point_norm1, METH_NOARGS, "The Manhattan norm."},
    {NULL, NULL, 0, NULL}
};

/* A point exports its two coordinates as a writable buffer of two longs. */
static int point_getbuffer(PyObject *p, Py_buffer *view, int flags)
{
    static Py_ssize_t shape[1] = {2};
    if (PyBuffer_FillInfo(view, p, &((Point *)p)->x, 2 * sizeof(long), 0, flags) < 0)
        return -1;
    if (flags & PyBUF_FORMAT)
        view->format = "l";
    view->itemsize = sizeof(long);
    if (flags & PyBUF_ND)
        view->shape = shape;
    return 0;
}

static PyBufferProcs point_buffer = {.bf_getbuffer = point_getbuffer};

static PyNumberMethods point_number = {.nb_add = point_add};
static PySequenceMethods point_sequence = {.sq_length = point_len, .sq_item = point_item};

static PyTypeObject PointType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bridgetest.PointType",
    .tp_doc = "A point with two integer coordinates.",
    .tp_basicsize = sizeof(Point),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = point_new,
    .tp_repr = point_repr,
    .tp_hash = point_hash,
    .tp_richcompare = point_richcompare,
    .tp_as_number = &point_number,
    .tp_as_sequence = &point_sequence,
    .tp_as_buffer = &point_buffer,
    .tp_methods = point_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "bridgetest", NULL, -1, methods};

PyMODINIT_FUNC PyInit_bridgetest(void)
{
    if (PyType_Ready(&PointType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddObjectRef(m, "PointType", (PyObject *)&PointType) < 0)
        Py_CLEAR(m);
    return m;
}
