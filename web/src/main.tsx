import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadConfig } from './config';
import { initFirebase } from './firebase';
import { createServices } from './hooks/app';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadConfig().then(
  (config) => {
    const services = createServices(config, initFirebase(config));
    root.render(
      <StrictMode>
        <App services={services} />
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(
      <div className="fullpage">
        <div className="notice notice-error" role="alert">
          <strong className="notice-title">PeerPrep cannot start</strong>
          <div className="notice-body">
            <p>{error instanceof Error ? error.message : String(error)}</p>
            <button type="button" className="button" onClick={() => window.location.reload()}>
              Reload
            </button>
          </div>
        </div>
      </div>,
    );
  },
);
