"""Lichen's own checks of types from specs, in the style of HPy's test suite;
run from a copy of HPy's ``test/`` directory."""
from test.support import HPyTest, make_hpy_abi_fixture


class TestLichenTypes(HPyTest):
    # Lichen's modes: HPy 0.9.0's header-only CPython ABI itself crashes on
    # this test.
    hpy_abi = make_hpy_abi_fixture(['universal', 'debug', 'hybrid', 'hybrid+debug'], class_fixture=True)

    def test_python_subclass_of_type_with_tp_new(self):
        # A Python subclass keeps its HPy base's layout: HPy_New and
        # AsStruct on an instance of the subclass must use the base's shape
        # (this crashed before, when the subclass was taken for a legacy type).
        mod = self.make_module("""
            typedef struct {
                long x;
                long y;
                HPyField tag;
            } PointObject;
            HPyType_HELPERS(PointObject)

            HPyDef_SLOT(Point_new, HPy_tp_new)
            static HPy Point_new_impl(HPyContext *ctx, HPy cls, const HPy *args,
                                      HPy_ssize_t nargs, HPy kw)
            {
                long x, y;
                if (!HPyArg_Parse(ctx, NULL, args, nargs, "ll", &x, &y))
                    return HPy_NULL;
                PointObject *p;
                HPy h = HPy_New(ctx, cls, &p);
                if (HPy_IsNull(h))
                    return HPy_NULL;
                p->x = x;
                p->y = y;
                HPyField_Store(ctx, h, &p->tag, args[0]);
                return h;
            }

            HPyDef_SLOT(Point_traverse, HPy_tp_traverse)
            static int Point_traverse_impl(void *self, HPyFunc_visitproc visit, void *arg)
            {
                HPy_VISIT(&((PointObject *)self)->tag);
                return 0;
            }

            HPyDef_METH(Point_sum, "sum", HPyFunc_NOARGS)
            static HPy Point_sum_impl(HPyContext *ctx, HPy self)
            {
                PointObject *p = PointObject_AsStruct(ctx, self);
                return HPyLong_FromLong(ctx, p->x + p->y);
            }

            HPyDef_MEMBER(Point_x, "x", HPyMember_LONG, offsetof(PointObject, x))

            HPyDef_GET(Point_tag, "tag")
            static HPy Point_tag_get(HPyContext *ctx, HPy self, void *closure)
            {
                return HPyField_Load(ctx, self, PointObject_AsStruct(ctx, self)->tag);
            }

            static HPyDef *Point_defines[] = {
                &Point_new, &Point_traverse, &Point_sum, &Point_x, &Point_tag, NULL
            };
            static HPyType_Spec Point_spec = {
                .name = "mytest.Point",
                .basicsize = sizeof(PointObject),
                .flags = HPy_TPFLAGS_DEFAULT | HPy_TPFLAGS_BASETYPE | HPy_TPFLAGS_HAVE_GC,
                .builtin_shape = SHAPE(PointObject),
                .defines = Point_defines,
            };
            @EXPORT_TYPE("Point", Point_spec)
            @INIT
        """)

        class Sub(mod.Point):
            def twice(self):
                return 2 * self.sum()

        import gc
        subs = [Sub(i, 10) for i in range(50)]
        assert [s.twice() for s in subs[:3]] == [20, 22, 24]
        assert subs[7].x == 7 and subs[7].tag == 7
        assert isinstance(subs[0], mod.Point)
        subs[0].extra = "in the instance dict"
        assert subs[0].extra == "in the instance dict"
        del subs
        gc.collect()
        assert mod.Point(3, 4).sum() == 7
