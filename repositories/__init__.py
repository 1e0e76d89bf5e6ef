"""The only place that knows collections, document fields and query operators."""
