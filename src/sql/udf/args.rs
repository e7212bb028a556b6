//! What the SQL functions share: their string signature, reading a string argument of any string
//! type (a column or a constant), parsing addresses and CIDRs (constants once per batch, columns
//! per row, by [`crate::net`]), and building a result that stays a constant when every argument is one.
//!
//! Text that is not an address or CIDR parses to `None`, which the functions return as null.

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, LargeStringArray, StringArray, StringViewArray,
};
use arrow::datatypes::DataType;
use datafusion::common::types::logical_string;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Signature, TypeSignature, TypeSignatureClass, Volatility,
};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// `n` string arguments: Utf8, LargeUtf8 and Utf8View pass as they are; NULL and dictionaries
/// of strings are cast to a plain string type by the planner.
fn string_types(n: usize) -> TypeSignature {
    TypeSignature::Coercible(vec![
        Coercion::new_exact(TypeSignatureClass::Native(
            logical_string()
        ));
        n
    ])
}

/// An immutable function of `n` string arguments.
pub(super) fn strings_signature(n: usize) -> Signature {
    Signature::new(string_types(n), Volatility::Immutable)
}

/// An immutable function of any of the given numbers of string arguments.
pub(super) fn strings_signature_of(counts: &[usize]) -> Signature {
    Signature::one_of(
        counts.iter().map(|n| string_types(*n)).collect(),
        Volatility::Immutable,
    )
}

/// One string argument of a call.
pub(super) enum Strings<'a> {
    /// A constant (or NULL) for every row.
    Const(Option<&'a str>),
    /// A Utf8 column.
    Utf8(&'a StringArray),
    /// A LargeUtf8 column.
    Large(&'a LargeStringArray),
    /// A Utf8View column.
    View(&'a StringViewArray),
    /// A column of the NULL type.
    Nulls,
}

impl<'a> Strings<'a> {
    /// Argument `i` of a call to `function`; a missing or non-string argument is an error (the
    /// signature keeps both from happening).
    pub(super) fn arg(function: &str, args: &'a [ColumnarValue], i: usize) -> Result<Self> {
        let Some(value) = args.get(i) else {
            return exec_err!("{function}: argument {} is missing", i + 1);
        };
        let found = match value {
            ColumnarValue::Scalar(s) => match s {
                ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                    Some(Strings::Const(v.as_deref()))
                }
                ScalarValue::Null => Some(Strings::Const(None)),
                _ => None,
            },
            ColumnarValue::Array(a) => match a.data_type() {
                DataType::Utf8 => a.as_string_opt::<i32>().map(Strings::Utf8),
                DataType::LargeUtf8 => a.as_string_opt::<i64>().map(Strings::Large),
                DataType::Utf8View => a.as_string_view_opt().map(Strings::View),
                DataType::Null => Some(Strings::Nulls),
                _ => None,
            },
        };
        match found {
            Some(s) => Ok(s),
            None => exec_err!(
                "{function}: argument {} must be a string, not {}",
                i + 1,
                value.data_type()
            ),
        }
    }

    /// Whether the argument is the same for every row.
    pub(super) fn is_const(&self) -> bool {
        matches!(self, Strings::Const(_) | Strings::Nulls)
    }

    /// The value in row `row` (`None` for NULL).
    pub(super) fn get(&self, row: usize) -> Option<&'a str> {
        fn at<'b>(
            a: &'b dyn Array,
            row: usize,
            value: impl Fn(usize) -> &'b str,
        ) -> Option<&'b str> {
            (row < a.len() && a.is_valid(row)).then(|| value(row))
        }
        match self {
            Strings::Const(v) => *v,
            Strings::Utf8(a) => at(*a, row, |i| a.value(i)),
            Strings::Large(a) => at(*a, row, |i| a.value(i)),
            Strings::View(a) => at(*a, row, |i| a.value(i)),
            Strings::Nulls => None,
        }
    }
}

/// A string argument turned into `T`: a constant is parsed once, a column row by row.
pub(super) enum Parsed<'a, T> {
    /// The parsed constant (`None`: NULL or not parseable).
    Const(Option<T>),
    /// A column and its parser.
    Rows(Strings<'a>, fn(&str) -> Option<T>),
}

impl<'a, T: Copy> Parsed<'a, T> {
    /// Parses argument `i` of a call to `function` with `parse`.
    pub(super) fn arg(
        function: &str,
        args: &'a [ColumnarValue],
        i: usize,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Self> {
        Ok(match Strings::arg(function, args, i)? {
            Strings::Const(v) => Parsed::Const(v.and_then(parse)),
            Strings::Nulls => Parsed::Const(None),
            column => Parsed::Rows(column, parse),
        })
    }

    /// Whether the value is the same for every row.
    pub(super) fn is_const(&self) -> bool {
        matches!(self, Parsed::Const(_))
    }

    /// The value in row `row`.
    pub(super) fn get(&self, row: usize) -> Option<T> {
        match self {
            Parsed::Const(v) => *v,
            Parsed::Rows(column, parse) => column.get(row).and_then(parse),
        }
    }
}

/// The data a function answers from, loaded once and shared by the function's clones (`None`:
/// not loaded). Functions compare and hash by it as one load, not by the data's content: two
/// are the same when both hold one `Arc`, or both hold none.
#[derive(Debug)]
pub(super) struct Loaded<T: ?Sized>(pub(super) Option<Arc<T>>);

impl<T: ?Sized> Loaded<T> {
    /// The data, if loaded.
    pub(super) fn get(&self) -> Option<&T> {
        self.0.as_deref()
    }
}

impl<T: ?Sized> PartialEq for Loaded<T> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl<T: ?Sized> Eq for Loaded<T> {}

impl<T: ?Sized> Hash for Loaded<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.is_some().hash(state);
    }
}

/// A Boolean result: a constant when every argument is one, else `rows` values from `value`.
pub(super) fn booleans(
    constant: bool,
    rows: usize,
    mut value: impl FnMut(usize) -> Option<bool>,
) -> ColumnarValue {
    if constant {
        ColumnarValue::Scalar(ScalarValue::Boolean(value(0)))
    } else {
        let array: BooleanArray = (0..rows).map(value).collect();
        ColumnarValue::Array(Arc::new(array) as ArrayRef)
    }
}

/// A Utf8 result: a constant when every argument is one, else `rows` values from `value`.
pub(super) fn texts<'s>(
    constant: bool,
    rows: usize,
    mut value: impl FnMut(usize) -> Option<&'s str>,
) -> ColumnarValue {
    if constant {
        ColumnarValue::Scalar(ScalarValue::Utf8(value(0).map(str::to_string)))
    } else {
        let array: StringArray = (0..rows).map(value).collect();
        ColumnarValue::Array(Arc::new(array) as ArrayRef)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_string_type() {
        let utf8: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("a"), None]));
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("a"), None]));
        for array in [utf8, large, view] {
            let args = [ColumnarValue::Array(array)];
            let s = Strings::arg("f", &args, 0).expect("a string column");
            assert!(!s.is_const());
            assert_eq!((s.get(0), s.get(1), s.get(2)), (Some("a"), None, None));
        }
        let args = [
            ColumnarValue::Scalar(ScalarValue::Utf8View(Some("x".into()))),
            ColumnarValue::Scalar(ScalarValue::Null),
            ColumnarValue::Scalar(ScalarValue::Int32(Some(1))),
        ];
        let s = Strings::arg("f", &args, 0).expect("a constant");
        assert!(s.is_const());
        assert_eq!(s.get(7), Some("x"));
        assert_eq!(Strings::arg("f", &args, 1).expect("null").get(0), None);
        let err = Strings::arg("f", &args, 2).err().expect("not a string");
        assert!(
            err.to_string()
                .contains("f: argument 3 must be a string, not Int32")
        );
        assert!(Strings::arg("f", &args, 3).is_err());
    }
}
