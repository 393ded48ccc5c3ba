// Package hf finds and fetches models from Hugging Face: the hub cache that
// huggingface_hub keeps on disk, and remote repositories (hf://org/name)
// read through the hub's HTTP API.
//
// Remote scans fetch only what a scan needs. Resolve asks the hub once for
// the list of files and the commit a revision points to; every later file
// request names that commit, so a push during the scan cannot change what is
// read. Open returns an io.ReaderAt whose reads become HTTP range requests of
// one block (64 KiB by default) through a small cache, so the few small reads
// a format parser makes of a header cost one request, and the tensor bytes of
// a large file are never transferred.
//
// Everything the hub sends is treated as hostile: JSON answers are size
// limited and streamed, file counts are bounded, file names are checked (no
// "..", no absolute paths, no NUL or control characters, no backslashes),
// the token is never sent to another host than the endpoint (large files are
// answered with a redirect to a CDN), and a server that ignores Range is not
// allowed to make the client download a whole file by accident.
//
// References (read for behaviour, no code taken):
//   - huggingface_hub documentation, "Download files from the Hub" and the
//     HfApi reference (model_info with files_metadata, list_repo_tree):
//     GET /api/{models,datasets,spaces}/{repo_id}/revision/{revision}?blobs=true
//     and GET /api/.../tree/{revision}?recursive=true, paginated by a Link
//     header with rel="next"; GET /{repo_id}/resolve/{revision}/{path} with
//     the X-Repo-Commit, X-Linked-Size and ETag headers, LFS files redirected
//     to a CDN.
//   - huggingface_hub documentation, "Understand caching" (manage-cache):
//     <cache>/models--{org}--{name}/{blobs,refs,snapshots}, snapshot files
//     being symbolic links into ../../blobs (copies where links are not
//     available), and the .no_exist folder.
//   - huggingface_hub validate_repo_id rules for repository names.
//   - Git LFS specification (git-lfs/git-lfs, docs/spec.md): pointer files.
//   - RFC 9110 section 14 (range requests, 206, 416, Content-Range) and
//     RFC 8288 (the Link header).
package hf
