/// A pointer handed to the workers of one `DispatchQueue.concurrentPerform`. Raw pointers are not
/// `Sendable`, and rightly: the compiler cannot see who touches which element. Wrapping one says
/// that the workers split the elements between them (or only read), and that the caller reads
/// the results only after `concurrentPerform` has returned, that is after every worker is done.
package struct WorkerShared<Pointer>: @unchecked Sendable {   // unchecked: workers touch disjoint elements or only read, and are joined before the owner reads
    package let pointer: Pointer
    package init(_ pointer: Pointer) { self.pointer = pointer }
}
