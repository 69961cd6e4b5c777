// A native file input for a form that uploads through rx.upload_files (reflex_ext/file_field.py).
//
// It keeps the chosen files where Reflex's upload reads them: `filesById[uploadId]` in
// UploadFilesContext, the provider Reflex adds to the app for rx.selected_files, as rx.upload's
// dropzone does on a drop. rx.upload_files(upload_id=...) then posts them to Reflex's upload
// endpoint, and rx.clear_selected_files(...) empties them (this input's value with them, so the
// same file can be chosen again). No react-dropzone: a file dropped on the input is taken by the
// browser itself.
import { createElement, useContext, useEffect, useRef } from "react";
import { UploadFilesContext } from "$/utils/context-registry";

export function FileField({ uploadId, ...props }) {
  const [filesById, setFilesById] = useContext(UploadFilesContext);
  const input = useRef(null);
  const chosen = filesById[uploadId];
  useEffect(() => {
    if (!chosen && input.current) {
      input.current.value = "";
    }
  }, [chosen]);
  const onChange = (event) => {
    const files = Array.from(event.target.files ?? []);
    setFilesById((current) => ({ ...current, [uploadId]: files }));
  };
  return createElement("input", { ...props, type: "file", ref: input, onChange });
}
