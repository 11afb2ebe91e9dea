//! What the hosts' `_debug` modules show, written once: how their arguments
//! select generations and stack depths, and the text of a `DebugHandle`.

use super::handles::HandleInfo;

/// The generation an argument of `get_open_handles` / `get_closed_handles`
/// selects: generations start at 0, so anything lower selects them all.
pub fn generation_arg(g: i64) -> u64 {
    g.max(0) as u64
}

/// The depth `set_handle_stack_trace_limit(limit)` asks for: `None` (or a
/// depth below 1) turns the capture off.
pub fn stack_limit_arg(limit: Option<i64>) -> usize {
    limit.map_or(0, |n| n.max(0) as usize)
}

/// The repr of a `DebugHandle` viewing `handle`, whose state is `state`
/// (`None`: the table forgot it). `obj_repr` gives the repr of the object of
/// an open handle's universal handle; it is not called for a closed one,
/// whose object may be gone.
pub fn handle_repr<E>(handle: isize, state: Option<HandleInfo>, obj_repr: impl FnOnce(lichen_abi::HPy) -> Result<String, E>) -> Result<String, E> {
    let head = match &state {
        Some(s) if !s.closed => format!("<DebugHandle 0x{handle:x} for {}>", obj_repr(s.uh)?),
        _ => format!("<DebugHandle 0x{handle:x} CLOSED>"),
    };
    let trace = match state.and_then(|s| s.stack) {
        Some(stack) => format!("Allocation stacktrace:\n{stack}"),
        None => "To get the stack trace of where it was allocated use:\nhpy.debug.set_handle_stack_trace_limit".to_string(),
    };
    Ok(format!("{head}\n{trace}"))
}

/// Whether a `DebugHandle` in `state` is closed (a forgotten one is).
pub fn is_closed(state: Option<&HandleInfo>) -> bool {
    state.is_none_or(|s| s.closed)
}

/// `raw_data_size` of a `DebugHandle`: -1 when it has no raw data.
pub fn raw_data_size(state: Option<&HandleInfo>) -> isize {
    state.and_then(|s| s.raw_data_size).map_or(-1, |n| n as isize)
}

/// The functions of the `_debug` module whose arguments and results are
/// plain values, declared once for every host: their names, HPy's
/// signatures, docs and what they do. Each function takes the host's token
/// as its last parameter, which the binding layer fills in (PyO3 gives a
/// `Python<'_>` parameter the GIL token, RustPython a `&VirtualMachine` one
/// the calling VM), and its body calls `debug_info(token)`, which the host
/// defines where the functions land: the `DebugInfo` of its debug context.
/// What needs the host's objects (`DebugHandle`, the generation arguments,
/// the hooks) stays in the host, built on the helpers above.
///
/// The bodies below name the token parameter themselves (`fn f(token, x:
/// T)`, emitted as `fn f(x: T, token: Tok)`): an identifier the host wrote
/// could not be used in them (macro hygiene). The host gives the token's
/// type, names the attribute its binding layer wants on a function, and
/// either a module to put them in, with items of its own such as `use`s:
/// `function = #[pyfunction]; token = &VirtualMachine; #[pymodule(sub)] pub
/// mod name { items }` (RustPython's `#[pymodule]` sees only the functions
/// written inside it, and cannot mix names from two macro contexts in one
/// module: the host merges this module into its own with `with(name)`), or
/// a macro of its own called with the functions' names, to register them:
/// `function = #[pyfunction]; token = Python<'_>; names => register`. The
/// token goes last because RustPython takes the VM only there.
#[macro_export]
macro_rules! debug_module_functions {
    (@emit [function = #[$attr:meta]; token = $tokty:ty; $(#[$mod_attr:meta])* $vis:vis mod $module:ident { $($items:tt)* }]
     $($(#[$doc:meta])* fn $name:ident($tok:ident $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)? { $($body:tt)* })*) => {
        $(#[$mod_attr])*
        $vis mod $module {
            $($items)*

            $(
                $(#[$doc])*
                #[$attr]
                fn $name($($arg: $ty,)* $tok: $tokty) $(-> $ret)? { $($body)* }
            )*
        }
    };
    (@emit [function = #[$attr:meta]; token = $tokty:ty; names => $names:ident]
     $($(#[$doc:meta])* fn $name:ident($tok:ident $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)? { $($body:tt)* })*) => {
        $(
            $(#[$doc])*
            #[$attr]
            fn $name($($arg: $ty,)* $tok: $tokty) $(-> $ret)? { $($body)* }
        )*

        $names!($($name),*);
    };
    ($($how:tt)*) => {
        $crate::debug_module_functions! { @emit [$($how)*]

            /// Start a new generation of handles and return its number.
            fn new_generation(token) -> u64 {
                debug_info(token).new_generation()
            }

            /// Return the maximum size of the closed handles queue.
            fn get_closed_handles_queue_max_size(token) -> usize {
                debug_info(token).table().queue_max_size()
            }

            /// Set the maximum size of the closed handles queue.
            fn set_closed_handles_queue_max_size(token, size: usize) {
                debug_info(token).table().set_queue_max_size(size)
            }

            /// Return the maximum size of the retained raw memory associated
            /// with closed handles.
            fn get_protected_raw_data_max_size(token) -> usize {
                debug_info(token).table().protected_raw_data_max_size()
            }

            /// Set the maximum size of the retained raw memory associated
            /// with closed handles.
            fn set_protected_raw_data_max_size(token, size: usize) {
                debug_info(token).table().set_protected_raw_data_max_size(size)
            }

            /// Set the limit to captured HPy handles allocations stack
            /// traces. None means do not capture the stack traces.
            fn set_handle_stack_trace_limit(token, limit: Option<i64>) {
                debug_info(token).set_handle_stack_trace_limit($crate::debug::view::stack_limit_arg(limit))
            }

            /// Lichen's addition: the text of the latest invalid handle or
            /// builder report (which context function, and where the handle
            /// was allocated when stack traces are on), or None; reading it
            /// forgets it. HPy's hooks are called without arguments, so a
            /// hook reads the details here.
            fn take_last_report(token) -> Option<String> {
                debug_info(token).take_last_report()
            }

            /// Lichen's addition: when enabled, a fault on the protected copy
            /// of raw data (`HPyUnicode_AsUTF8AndSize`, `HPyBytes_AsString`,
            /// ...) first prints which context function returned it and
            /// whether its handle was closed or the data was written to; the
            /// process then ends as without it. Off by default: HPy's tests
            /// expect those faults to end the process silently. Returns
            /// whether the report is available on this system.
            fn set_raw_data_fault_report(_token, enabled: bool) -> bool {
                $crate::debug::set_raw_data_fault_report(enabled)
            }

            /// Lichen's addition: with False, the misuse HPy's debug mode
            /// reports by aborting the process (a context kept from an
            /// earlier call, a non-type where a type is required, an invalid
            /// handle with no `on_invalid_handle` hook set, a wrong
            /// `_HPy_AsStruct_*` shape, a `kwnames` that is not a tuple)
            /// raises a SystemError with the same report from the context
            /// call instead, and the call fails. True (the default) keeps
            /// HPy's abort, which HPy's tests expect. Returns the previous
            /// setting.
            fn set_abort_on_misuse(token, abort: bool) -> bool {
                debug_info(token).set_abort_on_misuse(abort)
            }

            /// Whether misuse aborts the process (see `set_abort_on_misuse`).
            fn get_abort_on_misuse(token) -> bool {
                debug_info(token).aborts_on_misuse()
            }
        }
    };
}

/// The members of the `_debug` module's `DebugHandle` class that need only
/// the debug handle's number (getters and one method), declared once for
/// every host as `debug_module_functions!` does for the functions: each
/// takes the host's token, whose type the host gives (`token = Ty;`), after
/// the handle and passes it to `debug_info(token)`. The host either writes
/// its methods block, which gets these members after its own (`self.handle`
/// is the number, the token the methods' one parameter), naming the
/// attributes its binding layer wants on a getter and on a method:
/// `token = Python<'_>; getter = #[getter]; method = ; #[pymethods] impl
/// DebugHandle { items }`, or asks for them as functions of the handle's
/// number and the token, and names a macro of its own called with their
/// names, to add them to its class: `token = &VirtualMachine; names =>
/// add_members` (RustPython's `#[pyclass]` cannot take members written by a
/// macro of another crate: the names it generates for them would not see
/// each other; its getter and method closures are given the VM and pass it
/// on).
#[macro_export]
macro_rules! debug_handle_members {
    (@emit [token = $tokty:ty; getter = #[$getter:meta]; method = $(#[$method:meta])?; $(#[$attr:meta])* impl $ty:ident { $($items:tt)* }]
     getters { $($(#[$gdoc:meta])* fn $gname:ident($gh:ident, $gtok:ident) -> $gret:ty { $($gbody:tt)* })* }
     method { $(#[$mdoc:meta])* fn $mname:ident($mh:ident, $mtok:ident) { $($mbody:tt)* } }) => {
        $(#[$attr])*
        impl $ty {
            $($items)*

            $(
                $(#[$gdoc])*
                #[$getter]
                fn $gname(&self, $gtok: $tokty) -> $gret {
                    let $gh = self.handle;
                    $($gbody)*
                }
            )*

            $(#[$mdoc])*
            $(#[$method])?
            fn $mname(&self, $mtok: $tokty) {
                let $mh = self.handle;
                $($mbody)*
            }
        }
    };
    (@emit [token = $tokty:ty; names => $names:ident]
     getters { $($(#[$gdoc:meta])* fn $gname:ident($gh:ident, $gtok:ident) -> $gret:ty { $($gbody:tt)* })* }
     method { $(#[$mdoc:meta])* fn $mname:ident($mh:ident, $mtok:ident) { $($mbody:tt)* } }) => {
        $(
            $(#[$gdoc])*
            pub fn $gname($gh: isize, $gtok: $tokty) -> $gret {
                $($gbody)*
            }
        )*

        $(#[$mdoc])*
        pub fn $mname($mh: isize, $mtok: $tokty) {
            $($mbody)*
        }

        $names!(getters: $($gname),*; method: $mname);
    };
    ($($how:tt)*) => {
        $crate::debug_handle_members! { @emit [$($how)*]
            getters {
                /// A numeric identifier of the handle (its address).
                fn id(handle, _token) -> isize {
                    handle
                }

                /// Whether the handle is closed (or forgotten by the table).
                fn is_closed(handle, token) -> bool {
                    $crate::debug::view::is_closed(debug_info(token).table().info(handle).as_ref())
                }

                /// Size of the raw data kept for the handle, -1 if none.
                fn raw_data_size(handle, token) -> isize {
                    $crate::debug::view::raw_data_size(debug_info(token).table().info(handle).as_ref())
                }
            }

            method {
                /// Close the underlying handle. FOR TESTS ONLY.
                fn _force_close(handle, token) {
                    debug_info(token).force_close($crate::abi::HPy { _i: handle })
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(generation_arg(-3), 0);
        assert_eq!(generation_arg(7), 7);
        assert_eq!(stack_limit_arg(None), 0);
        assert_eq!(stack_limit_arg(Some(-1)), 0);
        assert_eq!(stack_limit_arg(Some(10)), 10);
    }

    #[test]
    fn repr_of_a_forgotten_handle() {
        let r = handle_repr::<()>(0x10, None, |_| unreachable!()).unwrap();
        assert!(r.starts_with("<DebugHandle 0x10 CLOSED>\n"), "{r}");
        assert!(is_closed(None));
        assert_eq!(raw_data_size(None), -1);
    }
}
