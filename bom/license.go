package bom

import (
	"net/url"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// spdxIDs maps the license identifiers of the Hugging Face hub (the
// "license" key of a model card) to SPDX license IDs. The hub writes them
// in lower case; several name a license family without a version ("gpl")
// and have no SPDX ID. The GNU licenses are mapped to the "-only" IDs:
// the hub's "gpl-3.0" is SPDX's deprecated "GPL-3.0", which means
// GPL-3.0-only. A test checks every value against the SPDX list of the
// CycloneDX 1.6 schema.
var spdxIDs = map[string]string{
	"apache-2.0": "Apache-2.0", "mit": "MIT", "afl-3.0": "AFL-3.0", "artistic-2.0": "Artistic-2.0",
	"bsl-1.0": "BSL-1.0", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
	"bsd-3-clause-clear": "BSD-3-Clause-Clear", "c-uda": "C-UDA-1.0", "cc0-1.0": "CC0-1.0",
	"cc-by-2.0": "CC-BY-2.0", "cc-by-2.5": "CC-BY-2.5", "cc-by-3.0": "CC-BY-3.0", "cc-by-4.0": "CC-BY-4.0",
	"cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-sa-4.0": "CC-BY-SA-4.0",
	"cc-by-nc-2.0": "CC-BY-NC-2.0", "cc-by-nc-3.0": "CC-BY-NC-3.0", "cc-by-nc-4.0": "CC-BY-NC-4.0",
	"cc-by-nd-4.0": "CC-BY-ND-4.0", "cc-by-nc-nd-3.0": "CC-BY-NC-ND-3.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0",
	"cc-by-nc-sa-2.0": "CC-BY-NC-SA-2.0", "cc-by-nc-sa-3.0": "CC-BY-NC-SA-3.0", "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
	"cdla-sharing-1.0": "CDLA-Sharing-1.0", "cdla-permissive-1.0": "CDLA-Permissive-1.0",
	"cdla-permissive-2.0": "CDLA-Permissive-2.0", "wtfpl": "WTFPL", "ecl-2.0": "ECL-2.0",
	"epl-1.0": "EPL-1.0", "epl-2.0": "EPL-2.0", "etalab-2.0": "etalab-2.0", "eupl-1.1": "EUPL-1.1",
	"eupl-1.2": "EUPL-1.2", "agpl-3.0": "AGPL-3.0-only", "gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only",
	"lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only", "isc": "ISC", "lppl-1.3c": "LPPL-1.3c",
	"ms-pl": "MS-PL", "mpl-2.0": "MPL-2.0", "odc-by": "ODC-By-1.0", "odbl": "ODbL-1.0", "osl-3.0": "OSL-3.0",
	"postgresql": "PostgreSQL", "ofl-1.1": "OFL-1.1", "ncsa": "NCSA", "unlicense": "Unlicense",
	"zlib": "Zlib", "pddl": "PDDL-1.0",
}

// licenses renders the card's declared licenses. An identifier with an
// SPDX ID becomes license.id; any other ("llama3", "openrail", "other")
// becomes license.name, with license_name and license_link when the card
// gives them for "other". All are acknowledged as "declared": they are
// what the publisher claims, not what modelward concluded.
func licenses(c *card) *cdx.Licenses {
	var out cdx.Licenses
	for _, l := range c.licenses {
		lic := &cdx.License{Acknowledgement: cdx.LicenseAcknowledgementDeclared}
		if id, ok := spdxIDs[strings.ToLower(l)]; ok {
			lic.ID = id
		} else {
			lic.Name = l
			if strings.EqualFold(l, "other") && c.licenseName != "" {
				lic.Name = c.licenseName
			}
			if u, err := url.Parse(c.licenseLink); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && strings.EqualFold(l, "other") {
				lic.URL = u.String()
			}
		}
		out = append(out, cdx.LicenseChoice{License: lic})
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}
