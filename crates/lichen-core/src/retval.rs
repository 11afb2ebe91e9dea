//! The value each ABI return type uses to say "an error is set".

use lichen_abi::*;

/// A return type of a context function, with the value it returns when the
/// call failed and an exception is pending.
pub trait ErrorValue: Copy {
    fn error_value() -> Self;
    /// Whether a returned value may mean "failed": then the caller asks the
    /// VM whether an exception is pending. Never for `()` and `bool`, whose
    /// "error value" is only what a refused call returns.
    fn may_be_error(&self) -> bool;
}

macro_rules! error_values {
    ($($ty:ty => $v:expr),* $(,)?) => {$(
        impl ErrorValue for $ty {
            #[inline(always)]
            fn error_value() -> Self { $v }
            #[inline(always)]
            fn may_be_error(&self) -> bool { *self == $v }
        }
    )*};
}

error_values! {
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
}

impl ErrorValue for () {
    fn error_value() -> Self {}
    fn may_be_error(&self) -> bool {
        false
    }
}

impl ErrorValue for bool {
    fn error_value() -> Self {
        false
    }
    fn may_be_error(&self) -> bool {
        false
    }
}

impl<T> ErrorValue for *mut T {
    fn error_value() -> Self {
        core::ptr::null_mut()
    }
    fn may_be_error(&self) -> bool {
        self.is_null()
    }
}

impl<T> ErrorValue for *const T {
    fn error_value() -> Self {
        core::ptr::null()
    }
    fn may_be_error(&self) -> bool {
        self.is_null()
    }
}
