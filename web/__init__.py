"""H5 pages for citizens (SMS link, window QR code) and the public results page."""
