//! Resolved answers kept per plan version (issue 13 item 8).
//!
//! A page of the published plan is the same for every reader until the plan's version
//! changes (`services::plan_cache`), yet resolving it is most of what a `plan.units`
//! request costs: 157 rows × their fields, each a future of async-graphql's, then the rows'
//! values. [`Memoized`] wraps such a field's answer: the first request with a given version,
//! arguments and selection resolves it as usual and keeps the resolved value; the next ones
//! get a copy of it. The version is the one the request read from the plan row, so a kept
//! answer is never older than the plan this request sees (another process's import included).
//!
//! Only selections that are the same text for every request are kept: plain fields, with no
//! arguments, directives, fragments or variables below the memoized field (anything else is
//! resolved as usual). Whatever is memoized must not depend on who asks, and no field below
//! it may be able to fail: async-graphql answers a failed nullable field with `null` and an
//! error beside the value, and the kept `null` would later be served without the error.
//! (`PageOf<PlanUnit>` holds plain values only.)
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};

/// What a memoized answer depends on besides its selection: the plan and its version, and
/// the field's arguments as the resolver read them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemoKey {
    pub plan_id: i32,
    pub version: i64,
    pub arguments: String,
}

/// The kept answers of this process, shared by every request (schema data).
#[derive(Default)]
pub struct ResolvedMemo {
    answers: Mutex<HashMap<(MemoKey, String), Value>>,
}

impl ResolvedMemo {
    /// At most this many answers are kept (a page of 500 rows is a few hundred kB); when it
    /// is full the oldest are not tracked, so all are dropped and kept anew.
    const MAX_ANSWERS: usize = 32;

    fn get(&self, key: &(MemoKey, String)) -> Option<Value> {
        let answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        answers.get(key).cloned()
    }

    fn keep(&self, key: (MemoKey, String), value: Value) {
        let mut answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Answers of an older version of the same plan will never be asked for again.
        answers.retain(|(k, _), _| k.plan_id != key.0.plan_id || k.version >= key.0.version);
        if answers.len() >= Self::MAX_ANSWERS {
            answers.clear();
        }
        answers.insert(key, value);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

/// A field's answer that is kept by [`MemoKey`] and selection once resolved; `make` builds
/// the value to resolve, and runs only when no kept answer will do.
pub struct Memoized<T> {
    key: MemoKey,
    make: Box<dyn Fn() -> T + Send + Sync>,
}

impl<T> Memoized<T> {
    pub fn new(key: MemoKey, make: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Memoized { key, make: Box::new(make) }
    }
}

/// The selection below a field as one line of text, or `None` when it holds anything whose
/// answer could differ between two requests of the same text (arguments, directives,
/// fragments, whose variables and conditions live elsewhere in the document).
fn selection_text(set: &SelectionSet) -> Option<String> {
    fn walk(set: &SelectionSet, out: &mut String) -> Option<()> {
        out.push('{');
        for item in &set.items {
            let Selection::Field(field) = &item.node else { return None };
            let f: &Field = &field.node;
            if !f.arguments.is_empty() || !f.directives.is_empty() {
                return None;
            }
            if let Some(alias) = &f.alias {
                let _ = write!(out, "{}:", alias.node);
            }
            let _ = write!(out, "{} ", f.name.node);
            if !f.selection_set.node.items.is_empty() {
                walk(&f.selection_set.node, out)?;
            }
        }
        out.push('}');
        Some(())
    }
    let mut out = String::new();
    walk(set, &mut out)?;
    Some(out)
}

impl<T: OutputType> OutputType for Memoized<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let memo = ctx.data_opt::<ResolvedMemo>();
        let selection = selection_text(&field.node.selection_set.node);
        let (Some(memo), Some(selection)) = (memo, selection) else {
            return (self.make)().resolve(ctx, field).await;
        };
        let key = (self.key.clone(), selection);
        if let Some(value) = memo.get(&key) {
            return Ok(value);
        }
        let value = (self.make)().resolve(ctx, field).await?;
        memo.keep(key, value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(query: &str) -> Option<String> {
        let doc = async_graphql::parser::parse_query(query).expect("query");
        let op = doc.operations.iter().next().expect("operation").1;
        let Selection::Field(root) = &op.node.selection_set.node.items[0].node else { panic!("field") };
        selection_text(&root.node.selection_set.node)
    }

    #[test]
    fn plain_selections_are_kept_by_their_text_and_anything_variable_is_not() {
        assert_eq!(
            selection("{ units { totalCount nodes { name quota } } }").as_deref(),
            Some("{totalCount nodes {name quota }}")
        );
        assert_eq!(selection("{ units { n: nodes { name } } }").as_deref(), Some("{n:nodes {name }}"));
        assert_eq!(selection("{ units { nodes { name @include(if: $x) } } }"), None);
        assert_eq!(selection("{ units { ... on PlanUnitPage { totalCount } } }"), None);
        assert_eq!(selection("{ units { ...F } } fragment F on PlanUnitPage { totalCount }"), None);
    }

    fn key(version: i64, arguments: &str) -> (MemoKey, String) {
        (MemoKey { plan_id: 1, version, arguments: arguments.into() }, "{}".into())
    }

    #[test]
    fn a_newer_version_drops_the_older_answers_and_the_memo_stays_bounded() {
        let memo = ResolvedMemo::default();
        memo.keep(key(1, "a"), Value::from(1));
        memo.keep(key(1, "b"), Value::from(2));
        assert_eq!(memo.get(&key(1, "a")), Some(Value::from(1)));
        memo.keep(key(2, "a"), Value::from(3));
        assert_eq!((memo.get(&key(1, "a")), memo.get(&key(1, "b"))), (None, None));
        assert_eq!(memo.get(&key(2, "a")), Some(Value::from(3)));
        for i in 0..100 {
            memo.keep(key(2, &i.to_string()), Value::from(i));
            assert!(memo.len() <= ResolvedMemo::MAX_ANSWERS);
        }
        assert_eq!(memo.get(&key(2, "99")), Some(Value::from(99)));
    }
}
