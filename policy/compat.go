package policy

// python2Name maps a Python 2 module and name to the Python 3 name that the
// unpickler imports instead when a stream's protocol is below 3 and
// fix_imports is on (the default). A stream chooses its own protocol, so
// both spellings are classified and the worse verdict wins.
func python2Name(module, name string) (string, string, bool) {
	if m, ok := py2Names[[2]string{module, name}]; ok {
		return m[0], m[1], true
	}
	if module == "exceptions" {
		return "builtins", name, true
	}
	if m, ok := py2Modules[module]; ok {
		return m, name, true
	}
	return "", "", false
}

// py2Modules lists the renamed modules that matter for models and for
// attacks; the table follows the documented Python 2 to 3 library renames.
var py2Modules = map[string]string{
	"__builtin__":        "builtins",
	"copy_reg":           "copyreg",
	"cPickle":            "pickle",
	"commands":           "subprocess",
	"Queue":              "queue",
	"SocketServer":       "socketserver",
	"ConfigParser":       "configparser",
	"repr":               "reprlib",
	"thread":             "_thread",
	"dummy_thread":       "_dummy_thread",
	"StringIO":           "io",
	"cStringIO":          "io",
	"UserDict":           "collections",
	"UserList":           "collections",
	"UserString":         "collections",
	"urllib2":            "urllib.request",
	"urlparse":           "urllib.parse",
	"httplib":            "http.client",
	"cookielib":          "http.cookiejar",
	"Cookie":             "http.cookies",
	"BaseHTTPServer":     "http.server",
	"SimpleHTTPServer":   "http.server",
	"CGIHTTPServer":      "http.server",
	"xmlrpclib":          "xmlrpc.client",
	"SimpleXMLRPCServer": "xmlrpc.server",
	"DocXMLRPCServer":    "xmlrpc.server",
	"anydbm":             "dbm",
	"whichdb":            "dbm",
	"dbhash":             "dbm.bsd",
	"dumbdbm":            "dbm.dumb",
	"gdbm":               "dbm.gnu",
	"robotparser":        "urllib.robotparser",
	"HTMLParser":         "html.parser",
	"htmlentitydefs":     "html.entities",
	"markupbase":         "_markupbase",
	"_winreg":            "winreg",
}

var py2Names = map[[2]string][2]string{
	{"__builtin__", "xrange"}:              {"builtins", "range"},
	{"__builtin__", "reduce"}:              {"functools", "reduce"},
	{"__builtin__", "intern"}:              {"sys", "intern"},
	{"__builtin__", "unichr"}:              {"builtins", "chr"},
	{"__builtin__", "unicode"}:             {"builtins", "str"},
	{"__builtin__", "long"}:                {"builtins", "int"},
	{"__builtin__", "basestring"}:          {"builtins", "str"},
	{"__builtin__", "raw_input"}:           {"builtins", "input"},
	{"__builtin__", "execfile"}:            {"builtins", "exec"},
	{"itertools", "izip"}:                  {"builtins", "zip"},
	{"itertools", "imap"}:                  {"builtins", "map"},
	{"itertools", "ifilter"}:               {"builtins", "filter"},
	{"itertools", "ifilterfalse"}:          {"itertools", "filterfalse"},
	{"itertools", "izip_longest"}:          {"itertools", "zip_longest"},
	{"UserDict", "IterableUserDict"}:       {"collections", "UserDict"},
	{"UserDict", "UserDict"}:               {"collections", "UserDict"},
	{"_socket", "fromfd"}:                  {"socket", "fromfd"},
	{"_multiprocessing", "Connection"}:     {"multiprocessing.connection", "Connection"},
	{"multiprocessing.process", "Process"}: {"multiprocessing.context", "Process"},
	{"multiprocessing.forking", "Popen"}:   {"multiprocessing.popen_fork", "Popen"},
	{"urllib", "urlopen"}:                  {"urllib.request", "urlopen"},
	{"urllib", "urlretrieve"}:              {"urllib.request", "urlretrieve"},
	{"urllib", "pathname2url"}:             {"urllib.request", "pathname2url"},
	{"urllib", "getproxies"}:               {"urllib.request", "getproxies"},
	{"urllib", "quote"}:                    {"urllib.parse", "quote"},
	{"urllib", "unquote"}:                  {"urllib.parse", "unquote"},
	{"urllib", "urlencode"}:                {"urllib.parse", "urlencode"},
	{"urllib2", "URLError"}:                {"urllib.error", "URLError"},
	{"urllib2", "HTTPError"}:               {"urllib.error", "HTTPError"},
}
