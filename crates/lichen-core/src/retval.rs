//! The value each ABI return type uses to say "an error is set".

use lichen_abi::*;

/// A return type of a context function, with the value it returns when the
/// call failed and an exception is pending.
pub trait ErrorValue: Copy {
    fn error_value() -> Self;
}

macro_rules! error_values {
    ($($ty:ty => $v:expr),* $(,)?) => {$(
        impl ErrorValue for $ty {
            #[inline(always)]
            fn error_value() -> Self { $v }
        }
    )*};
}

error_values! {
    () => (),
    HPy => HPy::NULL,
    HPyListBuilder => HPyListBuilder::NULL,
    HPyTupleBuilder => HPyTupleBuilder::NULL,
    HPyTracker => HPyTracker::NULL,
    HPyThreadState => HPyThreadState::NULL,
    HPyType_BuiltinShape => HPyType_BuiltinShape(-2),
    i32 => -1,
    u32 => u32::MAX,
    i64 => -1,
    u64 => u64::MAX,
    isize => -1,
    usize => usize::MAX,
    f64 => -1.0,
    bool => false,
}

impl<T> ErrorValue for *mut T {
    fn error_value() -> Self {
        core::ptr::null_mut()
    }
}

impl<T> ErrorValue for *const T {
    fn error_value() -> Self {
        core::ptr::null()
    }
}
