# Run on both sides, RustPython's (_lichen_bridge_rp) and CPython's (the
# bridge's namespace there), ahead of each side's own code.
#
# Standard value types the bridge copies by value, since C code checks for
# the exact classes of its own side (ujson's Decimal check, msgpack's
# PyDateTime_Check, the buffer protocol of memoryview and array). A
# description is a tuple of plain values that the bridge converts, then
# `build` remakes the object from it on the other side.
#
# `exception_class`: the classes standing for the other side's exceptions.
import sys as _vsys


def describe(obj):
    """A description of `obj` if it is a value type copied across, else None."""
    t = type(obj)
    if t is memoryview:
        return ('memoryview', obj.tobytes(), obj.format, tuple(obj.shape), obj.readonly)
    arr = _vsys.modules.get('array')
    if arr is not None and t is arr.array:
        return ('array', obj.typecode, obj.tobytes())
    dec = _vsys.modules.get('decimal')
    if dec is not None and t is dec.Decimal:
        return ('Decimal', str(obj))
    dt = _vsys.modules.get('datetime')
    if dt is None:
        return None
    if t is dt.timedelta:
        return ('timedelta', obj.days, obj.seconds, obj.microseconds)
    if t is dt.timezone:
        if obj is dt.timezone.utc:
            return ('utc',)
        return ('timezone', describe(obj.utcoffset(None)), obj.tzname(None))
    if t is dt.datetime:
        return ('datetime', obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second,
                obj.microsecond, _tz(obj.tzinfo), obj.fold)
    if t is dt.date:
        return ('date', obj.year, obj.month, obj.day)
    if t is dt.time:
        return ('time', obj.hour, obj.minute, obj.second, obj.microsecond, _tz(obj.tzinfo), obj.fold)
    return None


def _tz(tz):
    if tz is None:
        return None
    d = describe(tz)
    if d is None:
        raise TypeError('only datetime.timezone crosses by value')
    return d


def build(desc):
    """The object `desc` describes, made on this side."""
    kind = desc[0]
    if kind == 'memoryview':
        _, data, fmt, shape, readonly = desc
        view = memoryview(data if readonly else bytearray(data))
        if fmt != 'B' or len(shape) != 1:
            view = view.cast('B').cast(fmt, shape)
        return view
    if kind == 'array':
        import array
        made = array.array(desc[1])
        made.frombytes(desc[2])
        return made
    if kind == 'Decimal':
        import decimal
        return decimal.Decimal(desc[1])
    import datetime as dt
    if kind == 'timedelta':
        return dt.timedelta(desc[1], desc[2], desc[3])
    if kind == 'utc':
        return dt.timezone.utc
    if kind == 'timezone':
        return dt.timezone(build(desc[1]), desc[2])
    if kind == 'datetime':
        y, mo, d, h, mi, s, us, tz, fold = desc[1:]
        return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=None if tz is None else build(tz), fold=fold)
    if kind == 'date':
        return dt.date(*desc[1:])
    if kind == 'time':
        h, mi, s, us, tz, fold = desc[1:]
        return dt.time(h, mi, s, us, tzinfo=None if tz is None else build(tz), fold=fold)
    raise TypeError('unknown value description %r' % (kind,))


def exception_class(name, module, qualname, bases, other_key):
    """A class standing for an exception class of the other side. Its
    instances keep the other side's exception under `other_key`, and read
    from it the attributes that exception has beyond its arguments."""
    def __getattr__(self, attr):
        other = self.__dict__.get(other_key)
        if other is None:
            raise AttributeError(attr)
        return getattr(other, attr)
    ns = {'__module__': module, '__qualname__': qualname, '__getattr__': __getattr__}
    try:
        return type(name, bases, ns)
    except TypeError:
        # Bases whose layouts the interpreter cannot combine: the first one alone.
        return type(name, bases[:1], ns)
