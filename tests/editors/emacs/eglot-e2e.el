;;; eglot-e2e.el --- headless run of iacperf through Emacs eglot  -*- lexical-binding: t; -*-
;; Loads README's Emacs snippet, opens files of a copy of tests/editors/workspace the way a
;; user does (find-file; the snippet's hooks start eglot), reads flymake diagnostics, asks for
;; a hover and the code actions, applies the quick fix, saves, and records everything in a
;; JSON file that tests/editors/test_emacs.py checks.
;;
;; Environment:
;;   IACPERF_E2E_SNIPPET    the snippet (README's elisp block)
;;   IACPERF_E2E_WORKSPACE  workspace folder
;;   IACPERF_E2E_TARGET     "relative/path:line:col" (0-based) of the finding to hover and fix
;;   IACPERF_E2E_FIX        title prefix of the code action to apply
;;   IACPERF_E2E_OTHERS     comma-separated relative paths to open afterwards
;;   IACPERF_E2E_OUT        where to write the JSON result
;; Exit code: 0 every step ran, 1 a step failed.
(require 'package)
(package-initialize)                    ; Debian's elpa-* packages (eglot, yaml-mode)
(require 'json)
(require 'flymake)
(require 'subr-x)

(defvar e2e-timeout 20.0)
(defvar e2e-root (file-name-as-directory (getenv "IACPERF_E2E_WORKSPACE")))
(defvar e2e-result (list (cons 'emacs emacs-version)))
(defvar e2e-steps nil)
(defvar e2e-files nil)

;; terraform-mode comes from MELPA, which this machine cannot reach: a stand-in with the
;; same name and file patterns, so the snippet's terraform-mode entries are exercised.
(unless (locate-library "terraform-mode")
  (define-derived-mode terraform-mode prog-mode "Terraform")
  (add-to-list 'auto-mode-alist '("\\.tf\\(vars\\)?\\'" . terraform-mode))
  (push (cons 'stand_in "terraform-mode") e2e-result))

(load (getenv "IACPERF_E2E_SNIPPET") nil t)
(require 'eglot)
(push (cons 'eglot (if (boundp 'eglot-version) eglot-version
                     (or (ignore-errors (package-desc-version (cadr (assq 'eglot package-alist))))
                         "built-in")))
      e2e-result)
;; No VCS in the test folder: the folder itself is the project (eglot's workspace root).
(add-hook 'project-find-functions (lambda (_dir) (cons 'transient e2e-root)) 90)
(setq eglot-send-changes-idle-time 0.1
      eglot-events-buffer-size 2000000
      eglot-autoshutdown nil)

(defun e2e-put (key value) (push (cons key value) e2e-result))
(defun e2e-step (step) (push step e2e-steps) (message "step: %s" step))
(defun e2e-wait (what predicate)
  (let ((deadline (+ (float-time) e2e-timeout)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (or (funcall predicate) (error "timed out waiting for %s" what))))

(defun e2e-diagnostics ()
  (mapcar (lambda (d)
            (let ((beg (flymake-diagnostic-beg d)) (end (flymake-diagnostic-end d)))
              (list (cons 'line (1- (line-number-at-pos beg)))
                    (cons 'column (save-excursion (goto-char beg) (current-column)))
                    (cons 'end_column (save-excursion (goto-char end) (current-column)))
                    (cons 'type (symbol-name (flymake-diagnostic-type d)))
                    (cons 'text (flymake-diagnostic-text d)))))
          (sort (flymake-diagnostics) (lambda (a b) (< (flymake-diagnostic-beg a)
                                                        (flymake-diagnostic-beg b))))))

(defun e2e-open (relative)
  "Visit RELATIVE as a user would; run the deferred eglot-ensure of the snippet's hook."
  (find-file (expand-file-name relative e2e-root))
  ;; eglot-ensure connects from post-command-hook, which never runs in --batch.
  (run-hooks 'post-command-hook)
  (current-buffer))

(defun e2e-file-state (relative wait-for-findings)
  (with-current-buffer (e2e-open relative)
    (let ((server nil))
      (when wait-for-findings
        (e2e-wait (format "eglot in %s" relative) #'eglot-current-server)
        (setq server (eglot-current-server))
        (flymake-start)
        (e2e-wait (format "diagnostics in %s" relative)
                  (lambda () (flymake-start) (flymake-diagnostics))))
      (unless wait-for-findings
        ;; Give a wrongly started server time to show itself.
        (let ((deadline (+ (float-time) 1.5)))
          (while (< (float-time) deadline) (accept-process-output nil 0.05)))
        (setq server (eglot-current-server)))
      (list (cons 'major_mode (symbol-name major-mode))
            (cons 'server (and server (plist-get (eglot--server-info server) :name)))
            (cons 'server_command (and server (process-command (jsonrpc--process server))))
            (cons 'diagnostics (vconcat (and server (e2e-diagnostics))))))))

(defun e2e-position (line column)
  (save-excursion (goto-char (point-min)) (forward-line line) (forward-char column) (point)))

(defun e2e-run ()
  (let* ((target (split-string (getenv "IACPERF_E2E_TARGET") ":"))
         (relative (nth 0 target))
         (line (string-to-number (nth 1 target)))
         (column (string-to-number (nth 2 target))))
    ;; 1. The Terraform file: attach, diagnostics.
    (push (cons relative (e2e-file-state relative t)) e2e-files)
    (e2e-step "diagnostics")
    (with-current-buffer (get-file-buffer (expand-file-name relative e2e-root))
      (let ((server (eglot-current-server)))
        ;; 2. Hover at the finding: the request eldoc sends.
        (goto-char (e2e-position line column))
        (let* ((hover (jsonrpc-request server :textDocument/hover
                                       (eglot--TextDocumentPositionParams)))
               (contents (plist-get hover :contents)))
          (e2e-put 'hover_kind (plist-get contents :kind))
          (e2e-put 'hover (plist-get contents :value)))
        (e2e-step "hover")
        ;; 3. Code actions at the finding, with its diagnostic, as M-x eglot-code-actions asks.
        (let* ((here (e2e-position line column))
               (diagnostics (cl-remove-if-not
                             (lambda (d) (<= (flymake-diagnostic-beg d) here
                                             (flymake-diagnostic-end d)))
                             (flymake-diagnostics)))
               (actions (jsonrpc-request
                         server :textDocument/codeAction
                         (list :textDocument (eglot--TextDocumentIdentifier)
                               :range (list :start (eglot--pos-to-lsp-position here)
                                            :end (eglot--pos-to-lsp-position here))
                               :context (list :diagnostics
                                              (vconcat (mapcar (lambda (d)
                                                                 (cdr (assq 'eglot-lsp-diag
                                                                            (eglot--diag-data d))))
                                                               diagnostics))))))
               (titles (mapcar (lambda (a) (plist-get a :title)) actions))
               (fix (seq-find (lambda (a) (string-prefix-p (getenv "IACPERF_E2E_FIX")
                                                           (plist-get a :title)))
                              actions)))
          (e2e-put 'code_actions (vconcat titles))
          (unless fix (error "no %s action among %S" (getenv "IACPERF_E2E_FIX") titles))
          (e2e-step "code_action")
          ;; 4. Apply it as eglot does, save, and see the finding go.
          (eglot--apply-workspace-edit (plist-get fix :edit))
          (save-buffer)
          (e2e-step "saved")
          ;; eglot sends didChange from an idle timer; Emacs is never idle in --batch.
          (eglot--signal-textDocument/didChange)
          (let ((before (length (flymake-diagnostics))))
            (e2e-wait "one diagnostic less"
                      (lambda () (flymake-start) (< (length (flymake-diagnostics)) before))))
          (e2e-put 'diagnostics_after_fix (vconcat (e2e-diagnostics)))
          (e2e-step "fixed"))))
    ;; 5. Other files: CloudFormation gets findings, other YAML/JSON no server at all.
    (dolist (other (split-string (or (getenv "IACPERF_E2E_OTHERS") "") "," t))
      (let ((cfn (string-match-p "cfn/" other)))
        (push (cons other (e2e-file-state other cfn)) e2e-files)))
    (e2e-step "other_files")
    (e2e-put 'servers (length (hash-table-values eglot--servers-by-project)))))

(defun e2e-finish (ok error-text)
  (e2e-put 'ok (if ok t :json-false))
  (when error-text (e2e-put 'error error-text))
  (e2e-put 'steps (vconcat (reverse e2e-steps)))
  (e2e-put 'files (reverse e2e-files))
  (with-temp-file (getenv "IACPERF_E2E_OUT") (insert (json-encode e2e-result)))
  (unless ok (message "FAIL: %s" error-text))
  (dolist (server (ignore-errors (apply #'append (hash-table-values eglot--servers-by-project))))
    (ignore-errors (eglot-shutdown server)))
  (kill-emacs (if ok 0 1)))

(condition-case err
    (progn (e2e-run) (e2e-finish t nil))
  (error (e2e-finish nil (error-message-string err))))
