package events

// MaxMissingParents is the most missing parents a Window counts: a count
// of that much is a floor ("at least"), not exact.
const MaxMissingParents = maxAwaiting
