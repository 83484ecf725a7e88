export { runDown, stopRunningServer, type DownOptions, type DownResult } from './down';
export { readRunningServer, claimProject, AlreadyRunningError, type RunningServer } from './running';
export { buildIfStale, buildStaleReason } from './build';
export { writeMarker, removeMarkerIfOurs, markerContent, type MarkerFields } from './marker';
export { pidFilePath, readPidFile, claimPidFile, removePidFileIfOurs, writeProjectFile, writeFileAtomic, PID_FILE_NAME } from './files';
