/*
 * hpy_objbench: an object-heavy HPy extension for Lichen's benchmarks.
 *
 * Shaped like a real extension ported to HPy (a constraint library in the
 * style of kiwisolver): small objects holding two HPyFields each, number
 * slots and rich comparison that build new objects, so that the Python line
 * `(x + 2*y - z/3) >= i` allocates and frees ten objects, types derived from
 * an HPy base type (`Node`), HPy_AsStruct on every operand, and `relax()`, a
 * solver sweep that reads many objects and allocates almost nothing.
 *
 * cpy_objbench.c is the same code written against the C API: the baseline.
 * Built once in universal mode (hpy.devel, --hpy-abi=universal), the same
 * binary runs on HPy's runtime and on Lichen.
 */
#include <math.h>
#include "hpy.h"

/* Node: the base type. `owner` is whatever the first operand belonged to
   (None unless a Variable was given one), carried into every result. */
typedef struct {
    HPyField owner;
} NodeObject;

typedef struct {
    NodeObject node;
    HPyField name;
    double value;
} VariableObject;

/* coefficient * variable */
typedef struct {
    NodeObject node;
    HPyField variable;
    double coefficient;
} TermObject;

/* sum(terms) + constant; `terms` is a tuple of Terms */
typedef struct {
    NodeObject node;
    HPyField terms;
    double constant;
} ExpressionObject;

/* expression `op` 0, op being HPy_LE, HPy_EQ or HPy_GE */
typedef struct {
    HPyField expression;
    HPyField strength;
    int op;
} ConstraintObject;

HPyType_HELPERS(NodeObject)
HPyType_HELPERS(VariableObject)
HPyType_HELPERS(TermObject)
HPyType_HELPERS(ExpressionObject)
HPyType_HELPERS(ConstraintObject)

static HPyGlobal g_Variable, g_Term, g_Expression, g_Constraint, g_required;

/* ------------------------------------------------------------------------ */
/* Operands of the number slots */

enum kind { K_OTHER, K_NUMBER, K_VARIABLE, K_TERM, K_EXPRESSION };

typedef struct {
    HPy h;          /* the object (borrowed) */
    enum kind kind;
    double number;  /* the value of a K_NUMBER */
} Operand;

static int is_instance(HPyContext *ctx, HPy obj, HPyGlobal type)
{
    HPy t = HPyGlobal_Load(ctx, type);
    int r = HPy_TypeCheck(ctx, obj, t);
    HPy_Close(ctx, t);
    return r;
}

/* What `h` is; -1 with an error set if it is a number that fails to convert. */
static int classify(HPyContext *ctx, HPy h, Operand *op)
{
    op->h = h;
    op->number = 0.0;
    if (is_instance(ctx, h, g_Expression))
        op->kind = K_EXPRESSION;
    else if (is_instance(ctx, h, g_Term))
        op->kind = K_TERM;
    else if (is_instance(ctx, h, g_Variable))
        op->kind = K_VARIABLE;
    else if (HPyNumber_Check(ctx, h)) {
        op->kind = K_NUMBER;
        op->number = HPyFloat_AsDouble(ctx, h);
        if (op->number == -1.0 && HPyErr_Occurred(ctx))
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

static HPy owner_of(HPyContext *ctx, HPy node)
{
    return HPyField_Load(ctx, node, NodeObject_AsStruct(ctx, node)->owner);
}

/* ------------------------------------------------------------------------ */
/* Constructors used by the slots */

static HPy new_term(HPyContext *ctx, HPy owner, HPy variable, double coefficient)
{
    TermObject *t;
    HPy type = HPyGlobal_Load(ctx, g_Term);
    HPy h = HPy_New(ctx, type, &t);
    HPy_Close(ctx, type);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPyField_Store(ctx, h, &t->node.owner, owner);
    HPyField_Store(ctx, h, &t->variable, variable);
    t->coefficient = coefficient;
    return h;
}

static HPy new_expression(HPyContext *ctx, HPy owner, HPy terms, double constant)
{
    ExpressionObject *e;
    HPy type = HPyGlobal_Load(ctx, g_Expression);
    HPy h = HPy_New(ctx, type, &e);
    HPy_Close(ctx, type);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPyField_Store(ctx, h, &e->node.owner, owner);
    HPyField_Store(ctx, h, &e->terms, terms);
    e->constant = constant;
    return h;
}

static HPy new_constraint(HPyContext *ctx, HPy expression, int op)
{
    ConstraintObject *c;
    HPy type = HPyGlobal_Load(ctx, g_Constraint);
    HPy h = HPy_New(ctx, type, &c);
    HPy_Close(ctx, type);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPy strength = HPyGlobal_Load(ctx, g_required);
    HPyField_Store(ctx, h, &c->expression, expression);
    HPyField_Store(ctx, h, &c->strength, strength);
    HPy_Close(ctx, strength);
    c->op = op;
    return h;
}

/* ------------------------------------------------------------------------ */
/* Arithmetic on nodes */

static HPy scale(HPyContext *ctx, const Operand *a, double factor);

/* `a` as a Term: a Variable gets coefficient 1, a Term is itself. */
static HPy as_term(HPyContext *ctx, const Operand *a)
{
    if (a->kind == K_TERM)
        return HPy_Dup(ctx, a->h);
    HPy owner = owner_of(ctx, a->h);
    HPy t = new_term(ctx, owner, a->h, 1.0);
    HPy_Close(ctx, owner);
    return t;
}

static HPy scale_expression(HPyContext *ctx, HPy h, double factor)
{
    ExpressionObject *e = ExpressionObject_AsStruct(ctx, h);
    HPy terms = HPyField_Load(ctx, h, e->terms);
    HPy_ssize_t n = HPy_Length(ctx, terms);
    HPyTupleBuilder b = HPyTupleBuilder_New(ctx, n);
    for (HPy_ssize_t i = 0; i < n; i++) {
        Operand item = { HPy_GetItem_i(ctx, terms, i), K_TERM, 0.0 };
        HPy scaled = scale(ctx, &item, factor);
        HPy_Close(ctx, item.h);
        if (HPy_IsNull(scaled)) {
            HPyTupleBuilder_Cancel(ctx, b);
            HPy_Close(ctx, terms);
            return HPy_NULL;
        }
        HPyTupleBuilder_Set(ctx, b, i, scaled);
        HPy_Close(ctx, scaled);
    }
    HPy_Close(ctx, terms);
    HPy tuple = HPyTupleBuilder_Build(ctx, b);
    if (HPy_IsNull(tuple))
        return HPy_NULL;
    HPy owner = owner_of(ctx, h);
    HPy r = new_expression(ctx, owner, tuple, e->constant * factor);
    HPy_Close(ctx, owner);
    HPy_Close(ctx, tuple);
    return r;
}

/* factor * a, for a node `a`: a Term, or an Expression for an Expression. */
static HPy scale(HPyContext *ctx, const Operand *a, double factor)
{
    if (a->kind == K_EXPRESSION)
        return scale_expression(ctx, a->h, factor);
    if (a->kind == K_VARIABLE) {
        HPy owner = owner_of(ctx, a->h);
        HPy t = new_term(ctx, owner, a->h, factor);
        HPy_Close(ctx, owner);
        return t;
    }
    TermObject *t = TermObject_AsStruct(ctx, a->h);
    HPy owner = HPyField_Load(ctx, a->h, t->node.owner);
    HPy variable = HPyField_Load(ctx, a->h, t->variable);
    HPy r = new_term(ctx, owner, variable, t->coefficient * factor);
    HPy_Close(ctx, variable);
    HPy_Close(ctx, owner);
    return r;
}

static HPy_ssize_t term_count(HPyContext *ctx, const Operand *a)
{
    if (a->kind == K_NUMBER)
        return 0;
    if (a->kind != K_EXPRESSION)
        return 1;
    ExpressionObject *e = ExpressionObject_AsStruct(ctx, a->h);
    HPy terms = HPyField_Load(ctx, a->h, e->terms);
    HPy_ssize_t n = HPy_Length(ctx, terms);
    HPy_Close(ctx, terms);
    return n;
}

static double constant_of(HPyContext *ctx, const Operand *a)
{
    if (a->kind == K_NUMBER)
        return a->number;
    if (a->kind == K_EXPRESSION)
        return ExpressionObject_AsStruct(ctx, a->h)->constant;
    return 0.0;
}

/* Puts the terms of `a` into `b` from index *i on; -1 on error. */
static int add_terms(HPyContext *ctx, HPyTupleBuilder b, HPy_ssize_t *i, const Operand *a)
{
    if (a->kind == K_NUMBER)
        return 0;
    if (a->kind != K_EXPRESSION) {
        HPy t = as_term(ctx, a);
        if (HPy_IsNull(t))
            return -1;
        HPyTupleBuilder_Set(ctx, b, (*i)++, t);
        HPy_Close(ctx, t);
        return 0;
    }
    ExpressionObject *e = ExpressionObject_AsStruct(ctx, a->h);
    HPy terms = HPyField_Load(ctx, a->h, e->terms);
    HPy_ssize_t n = HPy_Length(ctx, terms);
    for (HPy_ssize_t k = 0; k < n; k++) {
        HPy t = HPy_GetItem_i(ctx, terms, k);
        HPyTupleBuilder_Set(ctx, b, (*i)++, t);
        HPy_Close(ctx, t);
    }
    HPy_Close(ctx, terms);
    return 0;
}

/* a + b as an Expression; at least one of them is a node. */
static HPy add(HPyContext *ctx, const Operand *a, const Operand *b)
{
    const Operand *first = is_node(a->kind) ? a : b;
    HPy owner = owner_of(ctx, first->h);
    double constant = constant_of(ctx, a) + constant_of(ctx, b);
    HPy r;
    if (a->kind == K_EXPRESSION && b->kind == K_NUMBER) {
        /* expression + number shares the terms */
        ExpressionObject *e = ExpressionObject_AsStruct(ctx, a->h);
        HPy terms = HPyField_Load(ctx, a->h, e->terms);
        r = new_expression(ctx, owner, terms, constant);
        HPy_Close(ctx, terms);
    }
    else {
        HPy_ssize_t i = 0;
        HPyTupleBuilder tb = HPyTupleBuilder_New(ctx, term_count(ctx, a) + term_count(ctx, b));
        if (add_terms(ctx, tb, &i, a) < 0 || add_terms(ctx, tb, &i, b) < 0) {
            HPyTupleBuilder_Cancel(ctx, tb);
            HPy_Close(ctx, owner);
            return HPy_NULL;
        }
        HPy terms = HPyTupleBuilder_Build(ctx, tb);
        r = HPy_IsNull(terms) ? HPy_NULL : new_expression(ctx, owner, terms, constant);
        HPy_Close(ctx, terms);
    }
    HPy_Close(ctx, owner);
    return r;
}

/* a - b as an Expression. */
static HPy subtract(HPyContext *ctx, const Operand *a, const Operand *b)
{
    if (b->kind == K_NUMBER) {
        Operand minus = { HPy_NULL, K_NUMBER, -b->number };
        return add(ctx, a, &minus);
    }
    Operand minus = { scale(ctx, b, -1.0), K_TERM, 0.0 };
    if (HPy_IsNull(minus.h))
        return HPy_NULL;
    if (b->kind == K_EXPRESSION)
        minus.kind = K_EXPRESSION;
    HPy r = add(ctx, a, &minus);
    HPy_Close(ctx, minus.h);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Slots of Node, inherited by Variable, Term and Expression */

/* Classifies both operands; 1 if the operation applies, 0 for
   NotImplemented, -1 on error. */
static int operands(HPyContext *ctx, HPy h1, HPy h2, Operand *a, Operand *b)
{
    if (classify(ctx, h1, a) < 0 || classify(ctx, h2, b) < 0)
        return -1;
    if (a->kind == K_OTHER || b->kind == K_OTHER)
        return 0;
    return is_node(a->kind) || is_node(b->kind);
}

static HPy not_implemented(HPyContext *ctx, int r)
{
    return r < 0 ? HPy_NULL : HPy_Dup(ctx, ctx->h_NotImplemented);
}

HPyDef_SLOT(Node_add, HPy_nb_add)
static HPy Node_add_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    Operand a, b;
    int r = operands(ctx, h1, h2, &a, &b);
    return r > 0 ? add(ctx, &a, &b) : not_implemented(ctx, r);
}

HPyDef_SLOT(Node_subtract, HPy_nb_subtract)
static HPy Node_subtract_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    Operand a, b;
    int r = operands(ctx, h1, h2, &a, &b);
    return r > 0 ? subtract(ctx, &a, &b) : not_implemented(ctx, r);
}

HPyDef_SLOT(Node_multiply, HPy_nb_multiply)
static HPy Node_multiply_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    Operand a, b;
    int r = operands(ctx, h1, h2, &a, &b);
    if (r <= 0 || (a.kind != K_NUMBER && b.kind != K_NUMBER))
        return not_implemented(ctx, r);
    return a.kind == K_NUMBER ? scale(ctx, &b, a.number) : scale(ctx, &a, b.number);
}

HPyDef_SLOT(Node_true_divide, HPy_nb_true_divide)
static HPy Node_true_divide_impl(HPyContext *ctx, HPy h1, HPy h2)
{
    Operand a, b;
    int r = operands(ctx, h1, h2, &a, &b);
    if (r <= 0 || a.kind == K_NUMBER || b.kind != K_NUMBER)
        return not_implemented(ctx, r);
    if (b.number == 0.0) {
        HPyErr_SetString(ctx, ctx->h_ZeroDivisionError, "float division by zero");
        return HPy_NULL;
    }
    return scale(ctx, &a, 1.0 / b.number);
}

HPyDef_SLOT(Node_negative, HPy_nb_negative)
static HPy Node_negative_impl(HPyContext *ctx, HPy h)
{
    Operand a;
    if (classify(ctx, h, &a) < 0)
        return HPy_NULL;
    return scale(ctx, &a, -1.0);
}

/* a <= b, a == b, a >= b: the Constraint a - b <op> 0. */
HPyDef_SLOT(Node_richcompare, HPy_tp_richcompare)
static HPy Node_richcompare_impl(HPyContext *ctx, HPy h1, HPy h2, HPy_RichCmpOp op)
{
    Operand a, b;
    int r = operands(ctx, h1, h2, &a, &b);
    if (r <= 0 || (op != HPy_LE && op != HPy_EQ && op != HPy_GE))
        return not_implemented(ctx, r);
    HPy expression = subtract(ctx, &a, &b);
    if (HPy_IsNull(expression))
        return HPy_NULL;
    HPy c = new_constraint(ctx, expression, op);
    HPy_Close(ctx, expression);
    return c;
}

HPyDef_SLOT(Node_traverse, HPy_tp_traverse)
static int Node_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    NodeObject *n = (NodeObject *)self;
    HPy_VISIT(&n->owner);
    return 0;
}

static HPyDef *Node_defines[] = {
    &Node_add, &Node_subtract, &Node_multiply, &Node_true_divide, &Node_negative,
    &Node_richcompare, &Node_traverse, NULL
};

static HPyType_Spec Node_spec = {
    .name = "hpy_objbench.Node",
    .basicsize = sizeof(NodeObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Node_defines,
};

/* ------------------------------------------------------------------------ */
/* Variable(name, owner=None) */

HPyDef_SLOT(Variable_new, HPy_tp_new)
static HPy Variable_new_impl(HPyContext *ctx, HPy cls, const HPy *args, HPy_ssize_t nargs, HPy kw)
{
    HPy name, owner = ctx->h_None;
    if (!HPyArg_Parse(ctx, NULL, args, nargs, "O|O", &name, &owner))
        return HPy_NULL;
    VariableObject *v;
    HPy h = HPy_New(ctx, cls, &v);
    if (HPy_IsNull(h))
        return HPy_NULL;
    HPyField_Store(ctx, h, &v->node.owner, owner);
    HPyField_Store(ctx, h, &v->name, name);
    return h;
}

HPyDef_SLOT(Variable_traverse, HPy_tp_traverse)
static int Variable_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    VariableObject *v = (VariableObject *)self;
    HPy_VISIT(&v->node.owner);
    HPy_VISIT(&v->name);
    return 0;
}

HPyDef_MEMBER(Variable_name, "name", HPyMember_OBJECT, offsetof(VariableObject, name), .readonly = 1)
HPyDef_MEMBER(Variable_owner, "owner", HPyMember_OBJECT, offsetof(VariableObject, node.owner), .readonly = 1)
HPyDef_MEMBER(Variable_value, "value", HPyMember_DOUBLE, offsetof(VariableObject, value))

static HPyDef *Variable_defines[] = {
    &Variable_new, &Variable_traverse, &Variable_name, &Variable_owner, &Variable_value, NULL
};

static HPyType_Spec Variable_spec = {
    .name = "hpy_objbench.Variable",
    .basicsize = sizeof(VariableObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
    .defines = Variable_defines,
};

/* ------------------------------------------------------------------------ */
/* Term, Expression, Constraint: made by the slots only */

HPyDef_SLOT(Term_traverse, HPy_tp_traverse)
static int Term_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    TermObject *t = (TermObject *)self;
    HPy_VISIT(&t->node.owner);
    HPy_VISIT(&t->variable);
    return 0;
}

HPyDef_MEMBER(Term_variable, "variable", HPyMember_OBJECT, offsetof(TermObject, variable), .readonly = 1)
HPyDef_MEMBER(Term_coefficient, "coefficient", HPyMember_DOUBLE, offsetof(TermObject, coefficient), .readonly = 1)

static HPyDef *Term_defines[] = { &Term_traverse, &Term_variable, &Term_coefficient, NULL };

static HPyType_Spec Term_spec = {
    .name = "hpy_objbench.Term",
    .basicsize = sizeof(TermObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Term_defines,
};

HPyDef_SLOT(Expression_traverse, HPy_tp_traverse)
static int Expression_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    ExpressionObject *e = (ExpressionObject *)self;
    HPy_VISIT(&e->node.owner);
    HPy_VISIT(&e->terms);
    return 0;
}

HPyDef_MEMBER(Expression_terms, "terms", HPyMember_OBJECT, offsetof(ExpressionObject, terms), .readonly = 1)
HPyDef_MEMBER(Expression_constant, "constant", HPyMember_DOUBLE, offsetof(ExpressionObject, constant), .readonly = 1)

static HPyDef *Expression_defines[] = {
    &Expression_traverse, &Expression_terms, &Expression_constant, NULL
};

static HPyType_Spec Expression_spec = {
    .name = "hpy_objbench.Expression",
    .basicsize = sizeof(ExpressionObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Expression_defines,
};

HPyDef_SLOT(Constraint_traverse, HPy_tp_traverse)
static int Constraint_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
{
    ConstraintObject *c = (ConstraintObject *)self;
    HPy_VISIT(&c->expression);
    HPy_VISIT(&c->strength);
    return 0;
}

HPyDef_MEMBER(Constraint_expression, "expression", HPyMember_OBJECT, offsetof(ConstraintObject, expression), .readonly = 1)
HPyDef_MEMBER(Constraint_strength, "strength", HPyMember_OBJECT, offsetof(ConstraintObject, strength), .readonly = 1)
HPyDef_MEMBER(Constraint_op, "op", HPyMember_INT, offsetof(ConstraintObject, op), .readonly = 1)

static HPyDef *Constraint_defines[] = {
    &Constraint_traverse, &Constraint_expression, &Constraint_strength, &Constraint_op, NULL
};

static HPyType_Spec Constraint_spec = {
    .name = "hpy_objbench.Constraint",
    .basicsize = sizeof(ConstraintObject),
    .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_HAVE_GC,
    .defines = Constraint_defines,
};

/* ------------------------------------------------------------------------ */
/* relax(constraints): one sweep of a solver */

/* sum(coefficient * value) + constant of `expression`; the first term's
   variable and coefficient go to *first and *coefficient. */
static double residual(HPyContext *ctx, HPy expression, HPy *first, double *coefficient)
{
    ExpressionObject *e = ExpressionObject_AsStruct(ctx, expression);
    HPy terms = HPyField_Load(ctx, expression, e->terms);
    HPy_ssize_t n = HPy_Length(ctx, terms);
    double sum = e->constant;
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy term = HPy_GetItem_i(ctx, terms, i);
        TermObject *t = TermObject_AsStruct(ctx, term);
        HPy variable = HPyField_Load(ctx, term, t->variable);
        sum += t->coefficient * VariableObject_AsStruct(ctx, variable)->value;
        if (i == 0) {
            *first = variable;
            *coefficient = t->coefficient;
        }
        else
            HPy_Close(ctx, variable);
        HPy_Close(ctx, term);
    }
    HPy_Close(ctx, terms);
    return sum;
}

/* Moves the first variable of each violated constraint so that the
   constraint holds; returns the largest violation seen, as a float. */
HPyDef_METH(relax, "relax", HPyFunc_O)
static HPy relax_impl(HPyContext *ctx, HPy self, HPy constraints)
{
    HPy_ssize_t n = HPy_Length(ctx, constraints);
    if (n < 0)
        return HPy_NULL;
    double worst = 0.0;
    for (HPy_ssize_t i = 0; i < n; i++) {
        HPy c = HPy_GetItem_i(ctx, constraints, i);
        if (HPy_IsNull(c))
            return HPy_NULL;
        ConstraintObject *cs = ConstraintObject_AsStruct(ctx, c);
        HPy expression = HPyField_Load(ctx, c, cs->expression);
        HPy first = HPy_NULL;
        double coefficient = 0.0;
        double r = residual(ctx, expression, &first, &coefficient);
        int violated = cs->op == HPy_EQ ? r != 0.0 : cs->op == HPy_GE ? r < 0.0 : r > 0.0;
        if (violated && !HPy_IsNull(first) && coefficient != 0.0)
            VariableObject_AsStruct(ctx, first)->value -= r / coefficient;
        if (violated && fabs(r) > worst)
            worst = fabs(r);
        HPy_Close(ctx, first);
        HPy_Close(ctx, expression);
        HPy_Close(ctx, c);
    }
    return HPyFloat_FromDouble(ctx, worst);
}

/* ------------------------------------------------------------------------ */
/* The module */

static HPy add_type(HPyContext *ctx, HPy m, const char *name, HPyType_Spec *spec, HPy base, HPyGlobal *g)
{
    HPyType_SpecParam params[] = { { HPyType_SpecParam_Base, base }, { (HPyType_SpecParam_Kind)0 } };
    HPy t = HPyType_FromSpec(ctx, spec, HPy_IsNull(base) ? NULL : params);
    if (HPy_IsNull(t))
        return HPy_NULL;
    if (HPy_SetAttr_s(ctx, m, name, t) < 0) {
        HPy_Close(ctx, t);
        return HPy_NULL;
    }
    if (g)
        HPyGlobal_Store(ctx, g, t);
    return t;
}

HPyDef_SLOT(objbench_exec, HPy_mod_exec)
static int objbench_exec_impl(HPyContext *ctx, HPy m)
{
    HPy node = add_type(ctx, m, "Node", &Node_spec, HPy_NULL, NULL);
    if (HPy_IsNull(node))
        return -1;
    struct { const char *name; HPyType_Spec *spec; HPy base; HPyGlobal *g; } types[] = {
        { "Variable", &Variable_spec, node, &g_Variable },
        { "Term", &Term_spec, node, &g_Term },
        { "Expression", &Expression_spec, node, &g_Expression },
        { "Constraint", &Constraint_spec, HPy_NULL, &g_Constraint },
    };
    for (int i = 0; i < 4; i++) {
        HPy t = add_type(ctx, m, types[i].name, types[i].spec, types[i].base, types[i].g);
        if (HPy_IsNull(t)) {
            HPy_Close(ctx, node);
            return -1;
        }
        HPy_Close(ctx, t);
    }
    HPy_Close(ctx, node);
    HPy required = HPyFloat_FromDouble(ctx, 1001001000.0);
    if (HPy_IsNull(required))
        return -1;
    HPyGlobal_Store(ctx, &g_required, required);
    HPy_Close(ctx, required);
    return 0;
}

static HPyDef *module_defines[] = { &relax, &objbench_exec, NULL };

static HPyGlobal *module_globals[] = {
    &g_Variable, &g_Term, &g_Expression, &g_Constraint, &g_required, NULL
};

static HPyModuleDef moduledef = {
    .doc = "An object-heavy HPy extension for Lichen's benchmarks",
    .size = 0,
    .defines = module_defines,
    .globals = module_globals,
};

HPy_MODINIT(hpy_objbench, moduledef)
