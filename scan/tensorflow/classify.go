package tensorflow

import (
	"strings"
)

// pythonOps call back into the Python interpreter that loaded the model:
// whatever function is registered under their token runs with the user's
// rights (tensorflow/core/ops/script_ops.cc).
var pythonOps = map[string]bool{"PyFunc": true, "PyFuncStateless": true, "EagerPyFunc": true}

// hostOps touch the file system or the network whatever their arguments.
// Sources: tensorflow/core/ops/io_ops.cc (readers, ReadFile, WriteFile,
// MatchingFiles), filesystem_ops.cc (FileSystemSetConfiguration),
// dataset_ops.cc and experimental_dataset_ops.cc (every dataset op with a
// filenames/path/directory/address input: TFRecord, FixedLengthRecord,
// TextLine, CSV, LMDB, Sql, MatchingFiles, Save/Load, Snapshot and its
// chunk readers, DistributedSave, the tf.data service; DatasetFromGraph
// rebuilds a dataset from a serialized graph, which can hold any of them),
// the snapshot chunk kernels (SnapshotChunkDataset,
// ListSnapshotChunksDataset), summary_ops.cc (writers), rpc and cloud ops.
var hostOps = map[string]string{
	"ReadFile":                         "reads a file",
	"WriteFile":                        "writes a file",
	"MatchingFiles":                    "lists files matching a pattern",
	"WholeFileReader":                  "reads whole files",
	"WholeFileReaderV2":                "reads whole files",
	"TextLineReader":                   "reads text files",
	"TextLineReaderV2":                 "reads text files",
	"FixedLengthRecordReader":          "reads record files",
	"FixedLengthRecordReaderV2":        "reads record files",
	"TFRecordReader":                   "reads TFRecord files",
	"TFRecordReaderV2":                 "reads TFRecord files",
	"LMDBReader":                       "reads LMDB files",
	"TFRecordDataset":                  "reads TFRecord files",
	"TFRecordDatasetV2":                "reads TFRecord files",
	"FixedLengthRecordDataset":         "reads record files",
	"FixedLengthRecordDatasetV2":       "reads record files",
	"TextLineDataset":                  "reads text files",
	"CSVDataset":                       "reads CSV files",
	"CSVDatasetV2":                     "reads CSV files",
	"ExperimentalCSVDataset":           "reads CSV files",
	"LMDBDataset":                      "reads LMDB files",
	"ExperimentalLMDBDataset":          "reads LMDB files",
	"SqlDataset":                       "queries a database file",
	"ExperimentalSqlDataset":           "queries a database file",
	"SaveDataset":                      "writes a dataset to files",
	"SaveDatasetV2":                    "writes a dataset to files",
	"LoadDataset":                      "reads a dataset from files",
	"ExperimentalLoadDataset":          "reads a dataset from files",
	"DatasetToTFRecord":                "writes TFRecord files",
	"ExperimentalDatasetToTFRecord":    "writes TFRecord files",
	"SnapshotDataset":                  "writes and reads snapshot files",
	"SnapshotDatasetV2":                "writes and reads snapshot files",
	"SnapshotDatasetReader":            "reads snapshot files",
	"SnapshotNestedDatasetReader":      "reads snapshot files",
	"DataServiceDataset":               "connects to a tf.data service over the network",
	"DataServiceDatasetV2":             "connects to a tf.data service over the network",
	"DataServiceDatasetV3":             "connects to a tf.data service over the network",
	"DataServiceDatasetV4":             "connects to a tf.data service over the network",
	"RegisterDataset":                  "connects to a tf.data service over the network",
	"RegisterDatasetV2":                "connects to a tf.data service over the network",
	"CreateSummaryFileWriter":          "creates a summary file writer",
	"CreateSummaryDbWriter":            "creates a summary database writer",
	"Rpc":                              "makes RPC calls over the network",
	"TryRpc":                           "makes RPC calls over the network",
	"RpcClient":                        "makes RPC calls over the network",
	"RpcCall":                          "makes RPC calls over the network",
	"RpcServer":                        "starts an RPC server",
	"RpcServerStart":                   "starts an RPC server",
	"RpcServerRegister":                "registers functions on an RPC server",
	"GcsConfigureCredentials":          "configures cloud storage credentials",
	"GcsConfigureBlockCache":           "configures cloud storage access",
	"BigQueryReader":                   "reads from a cloud database",
	"RemoteCall":                       "runs a function on a remote target",
	"MatchingFilesDataset":             "lists files matching a pattern",
	"ExperimentalMatchingFilesDataset": "lists files matching a pattern",
	"SnapshotChunkDataset":             "reads snapshot chunk files",
	"ListSnapshotChunksDataset":        "lists snapshot chunk files",
	"DistributedSave":                  "writes a dataset to files through a tf.data service over the network",
	"FileSystemSetConfiguration":       "changes the process's file system configuration",
	"DatasetFromGraph":                 "rebuilds a dataset from a serialized graph this scan does not inspect",
	"GenerateBigQueryReaderPartitions": "reads from a cloud database",
}

// pathOps take a file path as an input; every SavedModel has some (the
// checkpoint saver and restore functions), so they are reported only when a
// constant feeding the path is absolute, climbs out with "..", or is a
// URL. The values are the input positions that hold paths.
var pathOps = map[string][]int{
	"Save":                          {0},
	"SaveSlices":                    {0},
	"SaveV2":                        {0},
	"Restore":                       {0},
	"RestoreSlice":                  {0},
	"RestoreV2":                     {0},
	"MergeV2Checkpoints":            {0, 1},
	"InitializeTableFromTextFile":   {1},
	"InitializeTableFromTextFileV2": {1},
	"LoadAndRemapMatrix":            {0},
	"GenerateVocabRemapping":        {0, 1},
	"CacheDataset":                  {1},
	"CacheDatasetV2":                {1},
}

// attrPathOps carry a path or URL in an attribute; the predicate says when
// its value reaches outside the model.
var attrPathOps = map[string]struct {
	attr string
	bad  func(string) bool
}{
	"DebugIdentity":       {"debug_urls", isRemoteOrFileURL},
	"DebugIdentityV2":     {"debug_urls", isRemoteOrFileURL},
	"DebugIdentityV3":     {"debug_urls", isRemoteOrFileURL},
	"DebugNanCount":       {"debug_urls", isRemoteOrFileURL},
	"DebugNumericSummary": {"debug_urls", isRemoteOrFileURL},
	"DebugIdentityV2Dump": {"dump_root", nonEmpty},
	"PrintV2":             {"output_stream", isRemoteOrFileURL},
	"ImmutableConst":      {"memory_region_name", notMemmapped},
	"DecodeProtoV2":       {"descriptor_source", notLocalDescriptor},
	"EncodeProto":         {"descriptor_source", notLocalDescriptor},
}

func nonEmpty(s string) bool { return s != "" }

// isRemoteOrFileURL matches file://, grpc:// and other scheme URLs, the forms
// debug and print ops accept for writing outside the process.
func isRemoteOrFileURL(s string) bool { return urlScheme(s) != "" }

// notMemmapped: ImmutableConst reads memory regions from a memmapped
// package; any other name is opened as a file.
func notMemmapped(s string) bool {
	return s != "" && !strings.HasPrefix(s, "memmapped_package://")
}

// notLocalDescriptor: "local://" uses compiled-in descriptors; anything else
// names a file holding a FileDescriptorSet.
func notLocalDescriptor(s string) bool { return s != "" && s != "local://" }

func urlScheme(s string) string {
	i := strings.Index(s, "://")
	if i <= 0 || i > 16 {
		return ""
	}
	for _, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return ""
		}
	}
	return s[:i]
}

// escapesModel reports whether a constant path leaves the model folder: an
// absolute path (POSIX, UNC or drive letter), a ".." segment, or a URL.
func escapesModel(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '/' || s[0] == '\\' || urlScheme(s) != "" {
		return true
	}
	if len(s) >= 2 && s[1] == ':' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z') {
		return true
	}
	for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return true
		}
	}
	return false
}

// isStandardOp reports whether op is part of stock TensorFlow as far as
// the embedded list knows.
func isStandardOp(op string) bool {
	if standardOps[op] || pythonOps[op] {
		return true
	}
	if _, ok := hostOps[op]; ok {
		return true
	}
	if _, ok := pathOps[op]; ok {
		return true
	}
	_, ok := attrPathOps[op]
	return ok
}
