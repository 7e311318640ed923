package store

// IsUniqueViolation exposes isUniqueViolation to the package's external tests.
var IsUniqueViolation = isUniqueViolation
