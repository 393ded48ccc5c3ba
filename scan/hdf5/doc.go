// Package hdf5 is a pure-Go, bounded, read-only walker for HDF5 files, written
// so that modelward can inspect Keras .h5/.hdf5 models without libhdf5.
//
// It implements only what a security scan of such a model needs, from the
// HDF5 File Format Specification Version 3.0
// (https://docs.hdfgroup.org/hdf5/develop/_f_m_t3.html):
//
//   - II.A superblock versions 0-3, found at offset 0 or a power of two from
//     512 (a user block), with addresses relative to the base address;
//   - IV.A.1 object headers version 1 and 2 with continuation blocks;
//   - IV.A.2 header messages: Dataspace, Datatype, Attribute (v1-v3),
//     Attribute Info, Link, Link Info, Symbol Table, Header Continuation,
//     External Data Files and Data Layout (only to spot virtual datasets);
//   - III.A.1 version 1 B-trees (group nodes), III.B symbol table nodes,
//     III.D local heaps (old-style groups);
//   - III.A.2 version 2 B-trees (link and attribute name indexes) and III.G
//     fractal heaps (managed objects only) for dense link/attribute storage;
//   - III.E global heap collections, to resolve variable-length strings.
//
// Every input is treated as hostile: each address and length is checked
// against the file size before it is read, nothing is allocated from an
// unchecked length, the walk is bounded by Limits plus an overall read
// budget, and object headers are visited at most once (cycle detection).
// The package does not judge what it reads: it reports attributes, links and
// external files; Problems lists everything it could not read so that the
// caller never reports a partially read file as clean.
package hdf5
