/*
 * cpy_objbench: hpy_objbench.c written against the C API, the baseline of
 * Lichen's object benchmarks. Same types, same algorithms, function by
 * function; heap types from PyType_FromSpec as in HPy. See hpy_objbench.c.
 */
#define PY_SSIZE_T_CLEAN
#include <math.h>
#include <stddef.h>
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *owner;
} NodeObject;

typedef struct {
    NodeObject node;
    PyObject *name;
    double value;
} VariableObject;

typedef struct {
    NodeObject node;
    PyObject *variable;
    double coefficient;
} TermObject;

typedef struct {
    NodeObject node;
    PyObject *terms;
    double constant;
} ExpressionObject;

typedef struct {
    PyObject_HEAD
    PyObject *expression;
    PyObject *strength;
    int op;
} ConstraintObject;

static PyTypeObject *g_Variable, *g_Term, *g_Expression, *g_Constraint;
static PyObject *g_required;

/* ------------------------------------------------------------------------ */
/* Operands of the number slots */

enum kind { K_OTHER, K_NUMBER, K_VARIABLE, K_TERM, K_EXPRESSION };

typedef struct {
    PyObject *h;    /* borrowed */
    enum kind kind;
    double number;
} Operand;

static int classify(PyObject *h, Operand *op)
{
    op->h = h;
    op->number = 0.0;
    if (PyObject_TypeCheck(h, g_Expression))
        op->kind = K_EXPRESSION;
    else if (PyObject_TypeCheck(h, g_Term))
        op->kind = K_TERM;
    else if (PyObject_TypeCheck(h, g_Variable))
        op->kind = K_VARIABLE;
    else if (PyNumber_Check(h)) {
        op->kind = K_NUMBER;
        op->number = PyFloat_AsDouble(h);
        if (op->number == -1.0 && PyErr_Occurred())
            return -1;
    }
    else
        op->kind = K_OTHER;
    return 0;
}

static int is_node(enum kind k)
{
    return k == K_VARIABLE || k == K_TERM || k == K_EXPRESSION;
}

static PyObject *owner_of(PyObject *node)
{
    PyObject *o = ((NodeObject *)node)->owner;
    Py_XINCREF(o);
    return o;
}

/* Stores a new reference to `value` in an empty field. */
static void store(PyObject **field, PyObject *value)
{
    Py_XINCREF(value);
    Py_XSETREF(*field, value);
}

/* ------------------------------------------------------------------------ */
/* Constructors used by the slots */

static PyObject *new_term(PyObject *owner, PyObject *variable, double coefficient)
{
    PyObject *h = g_Term->tp_alloc(g_Term, 0);
    if (h == NULL)
        return NULL;
    TermObject *t = (TermObject *)h;
    store(&t->node.owner, owner);
    store(&t->variable, variable);
    t->coefficient = coefficient;
    return h;
}

static PyObject *new_expression(PyObject *owner, PyObject *terms, double constant)
{
    PyObject *h = g_Expression->tp_alloc(g_Expression, 0);
    if (h == NULL)
        return NULL;
    ExpressionObject *e = (ExpressionObject *)h;
    store(&e->node.owner, owner);
    store(&e->terms, terms);
    e->constant = constant;
    return h;
}

static PyObject *new_constraint(PyObject *expression, int op)
{
    PyObject *h = g_Constraint->tp_alloc(g_Constraint, 0);
    if (h == NULL)
        return NULL;
    ConstraintObject *c = (ConstraintObject *)h;
    store(&c->expression, expression);
    store(&c->strength, g_required);
    c->op = op;
    return h;
}

/* ------------------------------------------------------------------------ */
/* Arithmetic on nodes */

static PyObject *scale(const Operand *a, double factor);

static PyObject *as_term(const Operand *a)
{
    if (a->kind == K_TERM) {
        Py_INCREF(a->h);
        return a->h;
    }
    PyObject *owner = owner_of(a->h);
    PyObject *t = new_term(owner, a->h, 1.0);
    Py_XDECREF(owner);
    return t;
}

static PyObject *scale_expression(PyObject *h, double factor)
{
    ExpressionObject *e = (ExpressionObject *)h;
    PyObject *terms = e->terms;
    Py_INCREF(terms);
    Py_ssize_t n = PyObject_Length(terms);
    PyObject *tuple = PyTuple_New(n);
    if (tuple == NULL) {
        Py_DECREF(terms);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Operand item = { PySequence_GetItem(terms, i), K_TERM, 0.0 };
        PyObject *scaled = scale(&item, factor);
        Py_DECREF(item.h);
        if (scaled == NULL) {
            Py_DECREF(tuple);
            Py_DECREF(terms);
            return NULL;
        }
        PyTuple_SET_ITEM(tuple, i, scaled);
    }
    Py_DECREF(terms);
    PyObject *owner = owner_of(h);
    PyObject *r = new_expression(owner, tuple, e->constant * factor);
    Py_XDECREF(owner);
    Py_DECREF(tuple);
    return r;
}

static PyObject *scale(const Operand *a, double factor)
{
    if (a->kind == K_EXPRESSION)
        return scale_expression(a->h, factor);
    if (a->kind == K_VARIABLE) {
        PyObject *owner = owner_of(a->h);
        PyObject *t = new_term(owner, a->h, factor);
        Py_XDECREF(owner);
        return t;
    }
    TermObject *t = (TermObject *)a->h;
    PyObject *owner = owner_of(a->h);
    PyObject *variable = t->variable;
    Py_XINCREF(variable);
    PyObject *r = new_term(owner, variable, t->coefficient * factor);
    Py_XDECREF(variable);
    Py_XDECREF(owner);
    return r;
}

static Py_ssize_t term_count(const Operand *a)
{
    if (a->kind == K_NUMBER)
        return 0;
    if (a->kind != K_EXPRESSION)
        return 1;
    PyObject *terms = ((ExpressionObject *)a->h)->terms;
    Py_INCREF(terms);
    Py_ssize_t n = PyObject_Length(terms);
    Py_DECREF(terms);
    return n;
}

static double constant_of(const Operand *a)
{
    if (a->kind == K_NUMBER)
        return a->number;
    if (a->kind == K_EXPRESSION)
        return ((ExpressionObject *)a->h)->constant;
    return 0.0;
}

static int add_terms(PyObject *tuple, Py_ssize_t *i, const Operand *a)
{
    if (a->kind == K_NUMBER)
        return 0;
    if (a->kind != K_EXPRESSION) {
        PyObject *t = as_term(a);
        if (t == NULL)
            return -1;
        PyTuple_SET_ITEM(tuple, (*i)++, t);
        return 0;
    }
    PyObject *terms = ((ExpressionObject *)a->h)->terms;
    Py_INCREF(terms);
    Py_ssize_t n = PyObject_Length(terms);
    for (Py_ssize_t k = 0; k < n; k++)
        PyTuple_SET_ITEM(tuple, (*i)++, PySequence_GetItem(terms, k));
    Py_DECREF(terms);
    return 0;
}

static PyObject *add(const Operand *a, const Operand *b)
{
    const Operand *first = is_node(a->kind) ? a : b;
    PyObject *owner = owner_of(first->h);
    double constant = constant_of(a) + constant_of(b);
    PyObject *r;
    if (a->kind == K_EXPRESSION && b->kind == K_NUMBER) {
        PyObject *terms = ((ExpressionObject *)a->h)->terms;
        Py_INCREF(terms);
        r = new_expression(owner, terms, constant);
        Py_DECREF(terms);
    }
    else {
        Py_ssize_t i = 0;
        PyObject *terms = PyTuple_New(term_count(a) + term_count(b));
        if (terms == NULL || add_terms(terms, &i, a) < 0 || add_terms(terms, &i, b) < 0) {
            Py_XDECREF(terms);
            Py_XDECREF(owner);
            return NULL;
        }
        r = new_expression(owner, terms, constant);
        Py_DECREF(terms);
    }
    Py_XDECREF(owner);
    return r;
}

static PyObject *subtract(const Operand *a, const Operand *b)
{
    if (b->kind == K_NUMBER) {
        Operand minus = { NULL, K_NUMBER, -b->number };
        return add(a, &minus);
    }
    Operand minus = { scale(b, -1.0), K_TERM, 0.0 };
    if (minus.h == NULL)
        return NULL;
    if (b->kind == K_EXPRESSION)
        minus.kind = K_EXPRESSION;
    PyObject *r = add(a, &minus);
    Py_DECREF(minus.h);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Slots of Node */

static int operands(PyObject *h1, PyObject *h2, Operand *a, Operand *b)
{
    if (classify(h1, a) < 0 || classify(h2, b) < 0)
        return -1;
    if (a->kind == K_OTHER || b->kind == K_OTHER)
        return 0;
    return is_node(a->kind) || is_node(b->kind);
}

static PyObject *not_implemented(int r)
{
    if (r < 0)
        return NULL;
    Py_RETURN_NOTIMPLEMENTED;
}

static PyObject *Node_add(PyObject *h1, PyObject *h2)
{
    Operand a, b;
    int r = operands(h1, h2, &a, &b);
    return r > 0 ? add(&a, &b) : not_implemented(r);
}

static PyObject *Node_subtract(PyObject *h1, PyObject *h2)
{
    Operand a, b;
    int r = operands(h1, h2, &a, &b);
    return r > 0 ? subtract(&a, &b) : not_implemented(r);
}

static PyObject *Node_multiply(PyObject *h1, PyObject *h2)
{
    Operand a, b;
    int r = operands(h1, h2, &a, &b);
    if (r <= 0 || (a.kind != K_NUMBER && b.kind != K_NUMBER))
        return not_implemented(r);
    return a.kind == K_NUMBER ? scale(&b, a.number) : scale(&a, b.number);
}

static PyObject *Node_true_divide(PyObject *h1, PyObject *h2)
{
    Operand a, b;
    int r = operands(h1, h2, &a, &b);
    if (r <= 0 || a.kind == K_NUMBER || b.kind != K_NUMBER)
        return not_implemented(r);
    if (b.number == 0.0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "float division by zero");
        return NULL;
    }
    return scale(&a, 1.0 / b.number);
}

static PyObject *Node_negative(PyObject *h)
{
    Operand a;
    if (classify(h, &a) < 0)
        return NULL;
    return scale(&a, -1.0);
}

static PyObject *Node_richcompare(PyObject *h1, PyObject *h2, int op)
{
    Operand a, b;
    int r = operands(h1, h2, &a, &b);
    if (r <= 0 || (op != Py_LE && op != Py_EQ && op != Py_GE))
        return not_implemented(r);
    PyObject *expression = subtract(&a, &b);
    if (expression == NULL)
        return NULL;
    PyObject *c = new_constraint(expression, op);
    Py_DECREF(expression);
    return c;
}

/* One traverse/clear/dealloc for all nodes: the two fields after the header. */
typedef struct {
    PyObject_HEAD
    PyObject *fields[2];
} TwoFields;

static int two_fields_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((TwoFields *)self)->fields[0]);
    Py_VISIT(((TwoFields *)self)->fields[1]);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int two_fields_clear(PyObject *self)
{
    Py_CLEAR(((TwoFields *)self)->fields[0]);
    Py_CLEAR(((TwoFields *)self)->fields[1]);
    return 0;
}

static void two_fields_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    two_fields_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int node_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((NodeObject *)self)->owner);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int node_clear(PyObject *self)
{
    Py_CLEAR(((NodeObject *)self)->owner);
    return 0;
}

static void node_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    node_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyType_Slot Node_slots[] = {
    {Py_nb_add, Node_add},
    {Py_nb_subtract, Node_subtract},
    {Py_nb_multiply, Node_multiply},
    {Py_nb_true_divide, Node_true_divide},
    {Py_nb_negative, Node_negative},
    {Py_tp_richcompare, Node_richcompare},
    {Py_tp_traverse, node_traverse},
    {Py_tp_clear, node_clear},
    {Py_tp_dealloc, node_dealloc},
    {0, NULL},
};

static PyType_Spec Node_spec = {
    "cpy_objbench.Node", sizeof(NodeObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, Node_slots,
};

/* ------------------------------------------------------------------------ */
/* Variable(name, owner=None) */

static PyObject *Variable_new(PyTypeObject *cls, PyObject *args, PyObject *kw)
{
    PyObject *name, *owner = Py_None;
    if (!PyArg_ParseTuple(args, "O|O", &name, &owner))
        return NULL;
    PyObject *h = cls->tp_alloc(cls, 0);
    if (h == NULL)
        return NULL;
    VariableObject *v = (VariableObject *)h;
    store(&v->node.owner, owner);
    store(&v->name, name);
    return h;
}

static PyMemberDef Variable_members[] = {
    {"name", T_OBJECT, offsetof(VariableObject, name), READONLY},
    {"owner", T_OBJECT, offsetof(VariableObject, node.owner), READONLY},
    {"value", T_DOUBLE, offsetof(VariableObject, value), 0},
    {NULL},
};

static PyType_Slot Variable_slots[] = {
    {Py_tp_new, Variable_new},
    {Py_tp_members, Variable_members},
    {Py_tp_traverse, two_fields_traverse},
    {Py_tp_clear, two_fields_clear},
    {Py_tp_dealloc, two_fields_dealloc},
    {0, NULL},
};

static PyType_Spec Variable_spec = {
    "cpy_objbench.Variable", sizeof(VariableObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC, Variable_slots,
};

/* ------------------------------------------------------------------------ */
/* Term, Expression, Constraint */

static PyMemberDef Term_members[] = {
    {"variable", T_OBJECT, offsetof(TermObject, variable), READONLY},
    {"coefficient", T_DOUBLE, offsetof(TermObject, coefficient), READONLY},
    {NULL},
};

static PyType_Slot Term_slots[] = {
    {Py_tp_members, Term_members},
    {Py_tp_traverse, two_fields_traverse},
    {Py_tp_clear, two_fields_clear},
    {Py_tp_dealloc, two_fields_dealloc},
    {0, NULL},
};

static PyType_Spec Term_spec = {
    "cpy_objbench.Term", sizeof(TermObject), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Term_slots,
};

static PyMemberDef Expression_members[] = {
    {"terms", T_OBJECT, offsetof(ExpressionObject, terms), READONLY},
    {"constant", T_DOUBLE, offsetof(ExpressionObject, constant), READONLY},
    {NULL},
};

static PyType_Slot Expression_slots[] = {
    {Py_tp_members, Expression_members},
    {Py_tp_traverse, two_fields_traverse},
    {Py_tp_clear, two_fields_clear},
    {Py_tp_dealloc, two_fields_dealloc},
    {0, NULL},
};

static PyType_Spec Expression_spec = {
    "cpy_objbench.Expression", sizeof(ExpressionObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Expression_slots,
};

static PyMemberDef Constraint_members[] = {
    {"expression", T_OBJECT, offsetof(ConstraintObject, expression), READONLY},
    {"strength", T_OBJECT, offsetof(ConstraintObject, strength), READONLY},
    {"op", T_INT, offsetof(ConstraintObject, op), READONLY},
    {NULL},
};

static PyType_Slot Constraint_slots[] = {
    {Py_tp_members, Constraint_members},
    {Py_tp_traverse, two_fields_traverse},
    {Py_tp_clear, two_fields_clear},
    {Py_tp_dealloc, two_fields_dealloc},
    {0, NULL},
};

static PyType_Spec Constraint_spec = {
    "cpy_objbench.Constraint", sizeof(ConstraintObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, Constraint_slots,
};

/* ------------------------------------------------------------------------ */
/* relax(constraints) */

static double residual(PyObject *expression, PyObject **first, double *coefficient)
{
    ExpressionObject *e = (ExpressionObject *)expression;
    PyObject *terms = e->terms;
    Py_INCREF(terms);
    Py_ssize_t n = PyObject_Length(terms);
    double sum = e->constant;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *term = PySequence_GetItem(terms, i);
        TermObject *t = (TermObject *)term;
        PyObject *variable = t->variable;
        Py_INCREF(variable);
        sum += t->coefficient * ((VariableObject *)variable)->value;
        if (i == 0) {
            *first = variable;
            *coefficient = t->coefficient;
        }
        else
            Py_DECREF(variable);
        Py_DECREF(term);
    }
    Py_DECREF(terms);
    return sum;
}

static PyObject *relax(PyObject *self, PyObject *constraints)
{
    Py_ssize_t n = PyObject_Length(constraints);
    if (n < 0)
        return NULL;
    double worst = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PySequence_GetItem(constraints, i);
        if (c == NULL)
            return NULL;
        ConstraintObject *cs = (ConstraintObject *)c;
        PyObject *expression = cs->expression;
        Py_INCREF(expression);
        PyObject *first = NULL;
        double coefficient = 0.0;
        double r = residual(expression, &first, &coefficient);
        int violated = cs->op == Py_EQ ? r != 0.0 : cs->op == Py_GE ? r < 0.0 : r > 0.0;
        if (violated && first != NULL && coefficient != 0.0)
            ((VariableObject *)first)->value -= r / coefficient;
        if (violated && fabs(r) > worst)
            worst = fabs(r);
        Py_XDECREF(first);
        Py_DECREF(expression);
        Py_DECREF(c);
    }
    return PyFloat_FromDouble(worst);
}

/* ------------------------------------------------------------------------ */
/* The module */

static PyTypeObject *add_type(PyObject *m, const char *name, PyType_Spec *spec, PyObject *base)
{
    PyObject *bases = base ? PyTuple_Pack(1, base) : NULL;
    PyObject *t = PyType_FromSpecWithBases(spec, bases);
    Py_XDECREF(bases);
    if (t == NULL)
        return NULL;
    if (PyObject_SetAttrString(m, name, t) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return (PyTypeObject *)t;  /* kept for good, as the HPyGlobals are */
}

static int objbench_exec(PyObject *m)
{
    PyTypeObject *node = add_type(m, "Node", &Node_spec, NULL);
    if (node == NULL)
        return -1;
    g_Variable = add_type(m, "Variable", &Variable_spec, (PyObject *)node);
    g_Term = add_type(m, "Term", &Term_spec, (PyObject *)node);
    g_Expression = add_type(m, "Expression", &Expression_spec, (PyObject *)node);
    g_Constraint = add_type(m, "Constraint", &Constraint_spec, NULL);
    Py_DECREF(node);
    if (!g_Variable || !g_Term || !g_Expression || !g_Constraint)
        return -1;
    g_required = PyFloat_FromDouble(1001001000.0);
    return g_required ? 0 : -1;
}

static PyMethodDef methods[] = {
    {"relax", relax, METH_O, NULL},
    {NULL},
};

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, objbench_exec},
    {0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "cpy_objbench",
    "hpy_objbench.c written against the C API", 0, methods, slots,
};

PyMODINIT_FUNC PyInit_cpy_objbench(void) { return PyModuleDef_Init(&moduledef); }
