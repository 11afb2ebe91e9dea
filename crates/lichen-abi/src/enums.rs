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

/// Feeds the variants of a table in `signatures.rs` to `c_enum!`.
macro_rules! sig_enum {
    (; $($name:ident = $n:literal, $lower:ident, $ctx:ident $params:tt -> $r:tt, $block:tt;)*) => {
        c_enum!(
            /// Which calling convention an implementation pointer has.
            HPyFunc_Signature { $($name = $n),* }
        );
        impl HPyFunc_Signature {
            /// Every signature, in declaration order.
            pub const ALL: &'static [HPyFunc_Signature] = &[$(HPyFunc_Signature::$name),*];
        }
    };
}
crate::hpyfunc_signatures!(sig_enum);

macro_rules! slot_enum {
    (; $($name:ident = $n:literal, $sig:ident, [$($special:literal),*];)*) => {
        c_enum!(
            /// Slot numbers of `HPyDef_SLOT`; the type slots reuse CPython's `Py_*` numbers.
            HPySlot_Slot { $($name = $n),* }
        );

        impl HPySlot_Slot {
            /// Every slot, in declaration order.
            pub const ALL: &'static [HPySlot_Slot] = &[$(HPySlot_Slot::$name),*];

            /// The signature the implementation of this slot has.
            pub fn signature(self) -> Option<crate::HPyFunc_Signature> {
                match self {
                    $(Self::$name => Some(crate::HPyFunc_Signature::$sig),)*
                    _ => None,
                }
            }

            /// The Python special methods a slot stands for (see
            /// `hpy_slots!` for their order); empty for slots that are no
            /// method.
            pub fn special_methods(self) -> &'static [&'static str] {
                match self {
                    $(Self::$name => &[$($special),*],)*
                    _ => &[],
                }
            }
        }
    };
}
crate::hpy_slots!(slot_enum);

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
