"""Events to rows and back: the store (SQLite), the recorder that is its one writer, and the series
the charts and tables read."""
