//! The schema as GraphiQL asks for it. Its introspection query nests about fifteen levels
//! (`ofType` nine deep), deeper than the limit every other request gets (10), so GraphiQL
//! reads this once-computed answer instead of running its query against `/graphql`.
use tokio::sync::OnceCell;

use crate::config::GraphqlLimits;

/// graphql-js's `getIntrospectionQuery()` with descriptions and deprecated input values.
const INTROSPECTION_QUERY: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

/// The introspection answer (`{"data": {"__schema": …}}`), computed on first use.
pub async fn introspection_json() -> &'static str {
    static ANSWER: OnceCell<String> = OnceCell::const_new();
    ANSWER
        .get_or_init(|| async {
            let limits = GraphqlLimits {
                max_depth: 64,
                max_complexity: usize::MAX,
                introspection: true,
                ..Default::default()
            };
            let response = super::build_schema(None, &limits).execute(INTROSPECTION_QUERY).await;
            serde_json::to_string(&response)
                .unwrap_or_else(|e| format!(r#"{{"errors":[{{"message":"{e}"}}]}}"#))
        })
        .await
}
