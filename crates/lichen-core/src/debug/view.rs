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
