"""Loading chest X-rays from DICOM and raster files (headless: numpy, pydicom, opencv)."""
