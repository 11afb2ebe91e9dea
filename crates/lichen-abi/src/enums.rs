//! C enums of the ABI, as transparent `c_int` newtypes with named constants.

use core::ffi::c_int;

macro_rules! c_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub c_int);
        impl $name {
            $(pub const $variant: $name = $name($value);)*
            /// The C spelling of a known value, `None` for anything else.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $(x if x == $value => Some(stringify!($variant)),)*
                    _ => None,
                }
            }
        }
    };
}

c_enum!(
    /// Which calling convention an implementation pointer has.
    HPyFunc_Signature {
    VARARGS = 1, KEYWORDS = 2, NOARGS = 3, O = 4, DESTROYFUNC = 5, GETBUFFERPROC = 6,
    RELEASEBUFFERPROC = 7, UNARYFUNC = 8, BINARYFUNC = 9, TERNARYFUNC = 10, INQUIRY = 11,
    LENFUNC = 12, SSIZEARGFUNC = 13, SSIZESSIZEARGFUNC = 14, SSIZEOBJARGPROC = 15,
    SSIZESSIZEOBJARGPROC = 16, OBJOBJARGPROC = 17, FREEFUNC = 18, GETATTRFUNC = 19,
    GETATTROFUNC = 20, SETATTRFUNC = 21, SETATTROFUNC = 22, REPRFUNC = 23, HASHFUNC = 24,
    RICHCMPFUNC = 25, GETITERFUNC = 26, ITERNEXTFUNC = 27, DESCRGETFUNC = 28,
    DESCRSETFUNC = 29, INITPROC = 30, NEWFUNC = 31, GETTER = 32, SETTER = 33,
    OBJOBJPROC = 34, TRAVERSEPROC = 35, DESTRUCTOR = 36, CAPSULE_DESTRUCTOR = 37,
    VECTORCALLFUNC = 38, MOD_CREATE = 39,
});

c_enum!(
    /// Slot numbers of `HPyDef_SLOT`; the type slots reuse CPython's `Py_*` numbers.
    HPySlot_Slot {
    bf_getbuffer = 1, bf_releasebuffer = 2, mp_ass_subscript = 3, mp_length = 4,
    mp_subscript = 5, nb_absolute = 6, nb_add = 7, nb_and = 8, nb_bool = 9, nb_divmod = 10,
    nb_float = 11, nb_floor_divide = 12, nb_index = 13, nb_inplace_add = 14,
    nb_inplace_and = 15, nb_inplace_floor_divide = 16, nb_inplace_lshift = 17,
    nb_inplace_multiply = 18, nb_inplace_or = 19, nb_inplace_power = 20,
    nb_inplace_remainder = 21, nb_inplace_rshift = 22, nb_inplace_subtract = 23,
    nb_inplace_true_divide = 24, nb_inplace_xor = 25, nb_int = 26, nb_invert = 27,
    nb_lshift = 28, nb_multiply = 29, nb_negative = 30, nb_or = 31, nb_positive = 32,
    nb_power = 33, nb_remainder = 34, nb_rshift = 35, nb_subtract = 36,
    nb_true_divide = 37, nb_xor = 38, sq_ass_item = 39, sq_concat = 40, sq_contains = 41,
    sq_inplace_concat = 42, sq_inplace_repeat = 43, sq_item = 44, sq_length = 45,
    sq_repeat = 46, tp_call = 50, tp_hash = 59, tp_init = 60, tp_new = 65, tp_repr = 66,
    tp_richcompare = 67, tp_str = 70, tp_traverse = 71, nb_matrix_multiply = 75,
    nb_inplace_matrix_multiply = 76, tp_finalize = 80, tp_destroy = 1000,
    mod_create = 2000, mod_exec = 2001,
});

c_enum!(HPyMember_FieldType {
    SHORT = 0, INT = 1, LONG = 2, FLOAT = 3, DOUBLE = 4, STRING = 5, OBJECT = 6, CHAR = 7,
    BYTE = 8, UBYTE = 9, USHORT = 10, UINT = 11, ULONG = 12, STRING_INPLACE = 13, BOOL = 14,
    OBJECT_EX = 16, LONGLONG = 17, ULONGLONG = 18, HPYSSIZET = 19, NONE = 20,
});

c_enum!(HPyDef_Kind { Slot = 1, Meth = 2, Member = 3, GetSet = 4 });

c_enum!(HPyType_BuiltinShape {
    Legacy = -1, Object = 0, Type = 1, Long = 2, Float = 3, Unicode = 4, Tuple = 5, List = 6,
});

c_enum!(HPyType_SpecParam_Kind { Base = 1, BasesTuple = 2, Metaclass = 3 });

c_enum!(_HPyCapsule_key { Pointer = 0, Name = 1, Context = 2, Destructor = 3 });

c_enum!(HPy_SourceKind { Expr = 0, File = 1, Single = 2 });

c_enum!(HPy_RichCmpOp { LT = 0, LE = 1, EQ = 2, NE = 3, GT = 4, GE = 5 });

impl HPySlot_Slot {
    /// The signature the implementation of this slot has.
    pub fn signature(self) -> Option<crate::HPyFunc_Signature> {
        use crate::HPyFunc_Signature as S;
        let s = match self {
            Self::bf_getbuffer => S::GETBUFFERPROC,
            Self::bf_releasebuffer => S::RELEASEBUFFERPROC,
            Self::mp_ass_subscript => S::OBJOBJARGPROC,
            Self::mp_length | Self::sq_length => S::LENFUNC,
            Self::nb_bool => S::INQUIRY,
            Self::nb_absolute | Self::nb_float | Self::nb_index | Self::nb_int
            | Self::nb_invert | Self::nb_negative | Self::nb_positive => S::UNARYFUNC,
            Self::nb_power | Self::nb_inplace_power => S::TERNARYFUNC,
            Self::sq_ass_item => S::SSIZEOBJARGPROC,
            Self::sq_contains => S::OBJOBJPROC,
            Self::sq_inplace_repeat | Self::sq_item | Self::sq_repeat => S::SSIZEARGFUNC,
            Self::tp_call => S::KEYWORDS,
            Self::tp_hash => S::HASHFUNC,
            Self::tp_init => S::INITPROC,
            Self::tp_new => S::NEWFUNC,
            Self::tp_repr | Self::tp_str => S::REPRFUNC,
            Self::tp_richcompare => S::RICHCMPFUNC,
            Self::tp_traverse => S::TRAVERSEPROC,
            Self::tp_finalize => S::DESTRUCTOR,
            Self::tp_destroy => S::DESTROYFUNC,
            Self::mod_create => S::MOD_CREATE,
            Self::mod_exec => S::INQUIRY,
            _ if self.name().is_some() => S::BINARYFUNC,
            _ => return None,
        };
        Some(s)
    }
}

impl HPySlot_Slot {
    /// The Python special methods a slot stands for, on a VM that gives
    /// types their slots as methods. For the binary number slots and
    /// `sq_repeat` the second is the reflected form (the operands swapped);
    /// for `sq_ass_item`/`mp_ass_subscript`, set then delete (a NULL value);
    /// for `tp_richcompare`, the six comparisons in `HPy_RichCmpOp` order.
    /// Empty for slots that are no method (`tp_traverse`, `tp_destroy`,
    /// buffers, module slots).
    pub fn special_methods(self) -> &'static [&'static str] {
        match self {
            Self::nb_add => &["__add__", "__radd__"],
            Self::nb_subtract => &["__sub__", "__rsub__"],
            Self::nb_multiply => &["__mul__", "__rmul__"],
            Self::nb_matrix_multiply => &["__matmul__", "__rmatmul__"],
            Self::nb_floor_divide => &["__floordiv__", "__rfloordiv__"],
            Self::nb_true_divide => &["__truediv__", "__rtruediv__"],
            Self::nb_remainder => &["__mod__", "__rmod__"],
            Self::nb_divmod => &["__divmod__", "__rdivmod__"],
            Self::nb_lshift => &["__lshift__", "__rlshift__"],
            Self::nb_rshift => &["__rshift__", "__rrshift__"],
            Self::nb_and => &["__and__", "__rand__"],
            Self::nb_xor => &["__xor__", "__rxor__"],
            Self::nb_or => &["__or__", "__ror__"],
            Self::nb_power => &["__pow__", "__rpow__"],
            Self::nb_inplace_add => &["__iadd__"],
            Self::nb_inplace_subtract => &["__isub__"],
            Self::nb_inplace_multiply => &["__imul__"],
            Self::nb_inplace_matrix_multiply => &["__imatmul__"],
            Self::nb_inplace_floor_divide => &["__ifloordiv__"],
            Self::nb_inplace_true_divide => &["__itruediv__"],
            Self::nb_inplace_remainder => &["__imod__"],
            Self::nb_inplace_lshift => &["__ilshift__"],
            Self::nb_inplace_rshift => &["__irshift__"],
            Self::nb_inplace_and => &["__iand__"],
            Self::nb_inplace_xor => &["__ixor__"],
            Self::nb_inplace_or => &["__ior__"],
            Self::nb_inplace_power => &["__ipow__"],
            Self::nb_negative => &["__neg__"],
            Self::nb_positive => &["__pos__"],
            Self::nb_absolute => &["__abs__"],
            Self::nb_invert => &["__invert__"],
            Self::nb_int => &["__int__"],
            Self::nb_float => &["__float__"],
            Self::nb_index => &["__index__"],
            Self::nb_bool => &["__bool__"],
            Self::sq_concat => &["__add__"],
            Self::sq_inplace_concat => &["__iadd__"],
            Self::sq_repeat => &["__mul__", "__rmul__"],
            Self::sq_inplace_repeat => &["__imul__"],
            Self::sq_item | Self::mp_subscript => &["__getitem__"],
            Self::sq_ass_item | Self::mp_ass_subscript => &["__setitem__", "__delitem__"],
            Self::sq_length | Self::mp_length => &["__len__"],
            Self::sq_contains => &["__contains__"],
            Self::tp_repr => &["__repr__"],
            Self::tp_str => &["__str__"],
            Self::tp_hash => &["__hash__"],
            Self::tp_call => &["__call__"],
            Self::tp_init => &["__init__"],
            Self::tp_new => &["__new__"],
            Self::tp_finalize => &["__del__"],
            Self::tp_richcompare => &["__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"],
            _ => &[],
        }
    }
}
