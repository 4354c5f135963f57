// Starts GraphiQL against this server's /graphql (kept out of the page for the CSP).
(function () {
  "use strict";
  var base = GraphiQL.createFetcher({ url: "/graphql" });
  // GraphiQL's own introspection nests deeper than /graphql allows: it reads the schema the
  // server computed once instead.
  var fetcher = function (params, options) {
    if (params && params.operationName === "IntrospectionQuery") {
      return fetch("/graphql/introspection.json", { credentials: "same-origin" }).then(function (r) {
        return r.json();
      });
    }
    return base(params, options);
  };
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
